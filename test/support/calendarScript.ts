// A real Google Calendar create-event action (zero-yaml) and an input for it: what an honest agent
// writes, for tests that record it with the real Nango CLI.
export const SCRIPT = `import { createAction } from 'nango';
import * as z from 'zod';

const Time = z.object({ dateTime: z.string() });
const CreateEventInput = z.object({ calendarId: z.string(), summary: z.string(), start: Time, end: Time });
const CreateEventOutput = z.object({ id: z.string(), summary: z.string() });

const action = createAction({
    description: 'Create a calendar event',
    version: '1.0.0',
    input: CreateEventInput,
    output: CreateEventOutput,
    scopes: ['https://www.googleapis.com/auth/calendar.events'],
    exec: async (nango, input): Promise<z.infer<typeof CreateEventOutput>> => {
        // https://developers.google.com/calendar/api/v3/reference/events/insert
        const res = await nango.post<{ id: string; summary: string }>({
            endpoint: \`/calendar/v3/calendars/\${encodeURIComponent(input.calendarId)}/events\`,
            data: { summary: input.summary, start: input.start, end: input.end },
            retries: 3
        });
        return { id: res.data.id, summary: res.data.summary };
    }
});

export type NangoActionLocal = Parameters<(typeof action)['exec']>[0];
export default action;
`;
export const INPUT = JSON.stringify({
  calendarId: 'primary',
  summary: 'Standup',
  start: { dateTime: '2026-01-01T09:00:00Z' },
  end: { dateTime: '2026-01-01T09:15:00Z' },
});
