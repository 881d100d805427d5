// The workspace spec (`interactions.json`, `*.interactions.json`), defined once with zod.
// The JSON Schema the editor uses (schemas/interactions.schema.json) is generated from these
// definitions at build time, so the two can never drift apart.
import { z } from 'zod';

/** kebab-case: lower-case letters and digits in groups joined by single dashes. */
export const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * An interaction id names a Nango script, and Nango's own scripts use dashes and underscores alike
 * (`create-event`, `compliance_master`): lower-case letters and digits in groups joined by single `-`
 * or `_`. Lower case only, so two ids can never be one folder on a case-insensitive file system; no
 * dots, slashes or other path characters, so an id is always one safe path segment.
 */
export const INTERACTION_ID = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;

/**
 * The longest id. An id becomes a folder, a script file, fixture and test files
 * (`<integration>-<interaction>.test.json`) and run records (`<interaction>.attempt-N.jsonl`): 64 keeps
 * every one of them far below the 255 bytes a file name may have. Nango's own longest script name is 42.
 */
export const MAX_ID_LENGTH = 64;

/** Names Windows reserves for devices: no file or folder may be called so, whatever its extension. */
export const RESERVED_NAMES = /^(?:con|prn|aux|nul|com[1-9]|lpt[1-9])$/;

const idLength = (what: string) =>
  z.string().max(MAX_ID_LENGTH, {
    error: (issue) =>
      `${what} ${JSON.stringify(issue.input)} is ${String(issue.input).length} characters long: at most ${MAX_ID_LENGTH}, so its folder, file and run names stay within file-system limits`,
  });

const notReserved = (id: string) => !RESERVED_NAMES.test(id);
const reservedMessage = (what: string) => (issue: { input: unknown }) =>
  `${what} ${JSON.stringify(issue.input)} is a name Windows reserves for a device, so it cannot be a folder or file name; choose another`;

const kebabId = (what: string) =>
  idLength(what)
    .min(1, { error: `${what} must not be empty` })
    .regex(KEBAB_CASE, {
      error: (issue) => `${what} ${JSON.stringify(issue.input)} is not kebab-case (lower-case letters, digits and single dashes, e.g. "create-event")`,
    })
    .refine(notReserved, { error: reservedMessage(what) });

const interactionId = (what: string) =>
  idLength(what)
    .min(1, { error: `${what} must not be empty` })
    .regex(INTERACTION_ID, {
      error: (issue) =>
        `${what} ${JSON.stringify(issue.input)} is not a valid id: lower-case letters and digits in groups joined by single "-" or "_" (e.g. "create-event" or "compliance_master")`,
    })
    .refine(notReserved, { error: reservedMessage(what) });

/**
 * A Nango environment name. It becomes part of a variable name the Nango CLI reads
 * (`NANGO_SECRET_KEY_<ENVIRONMENT>`, upper-cased): a hyphen, a space or a dot would make a name no
 * shell can set and the key would never be found. Letters, digits and underscores, as Nango's own
 * environments are named ("dev", "prod", "staging_eu").
 */
export const ENVIRONMENT_NAME = /^[A-Za-z0-9_]+$/;

const environmentName = (emptyMessage: string) =>
  z
    .string()
    .min(1, { error: emptyMessage })
    .max(MAX_ID_LENGTH, {
      error: (issue) => `environment ${JSON.stringify(issue.input)} is ${String(issue.input).length} characters long: at most ${MAX_ID_LENGTH}`,
    })
    .regex(ENVIRONMENT_NAME, {
      error: (issue) =>
        `environment ${JSON.stringify(issue.input)} may hold only letters, digits and underscores: it names the variable NANGO_SECRET_KEY_${String(issue.input).toUpperCase()} that the Nango CLI reads, which no shell can set (e.g. "dev" or "staging_eu")`,
    });

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/$.?#][^\s]*$/i, {
    error: (issue) => `${JSON.stringify(issue.input)} is not an http(s) URL`,
  })
  .meta({ format: 'uri' });

/** One or more API reference URLs. */
export const DocsSchema = z
  .union([httpUrl, z.array(httpUrl).min(1, { error: 'docs must list at least one URL' })])
  .meta({ description: 'API reference URL(s) the agent should read: one URL or a list of URLs.' });

export const InteractionKindSchema = z.enum(['action', 'sync']).meta({
  description:
    'action: runs once on demand (create, update, delete, send). sync: fetches records periodically. Inferred from the id and description when absent.',
});

export const ToolchainSchema = z.enum(['nango']).meta({
  description: 'How interactions are compiled, tested, linted and recorded. Only "nango" exists today.',
});

export const InteractionSchema = z
  .object({
    id: interactionId('interaction id').meta({
      description:
        'Name of the interaction as Nango names scripts, unique within its integration: lower-case letters and digits joined by "-" or "_", at most 64 characters, e.g. "create-event" or "compliance_master". Also its folder and script file name.',
    }),
    displayName: z.string().min(1, { error: 'displayName must not be empty' }).meta({
      description: 'Human-readable name, e.g. "Create Event".',
    }),
    description: z.string().meta({ description: 'What the interaction does, in one sentence.' }),
    prompt: z.string().meta({
      description: 'Extra instructions for the agent (pre-requisites, edge cases). May be empty.',
    }),
    comments: z.string().meta({ description: 'Notes for people; also passed to the agent. May be empty.' }),
    kind: InteractionKindSchema.optional(),
    // Optional overrides of the integration's settings, for this interaction only.
    connectionId: z.string().min(1).optional().meta({
      description: "Overrides the integration's test connection for this interaction.",
    }),
    environment: environmentName('environment must not be empty').optional().meta({
      description: "Overrides the integration's environment for this interaction.",
    }),
    docs: DocsSchema.optional(),
    context: z.string().optional().meta({ description: "Extra context appended to the integration's context." }),
    model: z.string().min(1).optional().meta({
      description: 'Overrides integrationBuilder.model for this interaction, e.g. "anthropic/claude-sonnet-4-5".',
    }),
  })
  .meta({ title: 'Interaction', description: 'One interaction to build: one agent, one folder.' });

export const IntegrationSchema = z
  .object({
    id: kebabId('integration id').meta({
      description: 'The provider config key, kebab-case, at most 64 characters, e.g. "google-calendar".',
    }),
    displayName: z.string().min(1).optional().meta({ description: 'Human-readable name, e.g. "Google Calendar".' }),
    connectionId: z.string().min(1, { error: 'connectionId must not be empty' }).meta({
      description: 'The test account (connection) used to record fixtures.',
    }),
    environment: environmentName('environment must not be empty').meta({
      description: 'The environment the connection lives in, e.g. "dev".',
    }),
    docs: DocsSchema,
    context: z.string().meta({
      description: 'Free text for the agent, e.g. "This integration uses the Google Calendar REST API v3."',
    }),
    toolchain: ToolchainSchema.optional(),
    interactions: z.array(InteractionSchema).meta({ description: 'The interactions to build for this API.' }),
  })
  .meta({ title: 'Integration', description: 'One API: the context an agent needs, and its interactions.' });

export const SpecSchema = z
  .object({
    $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema (optional).' }),
    integrations: z.array(IntegrationSchema).meta({ description: 'The APIs to integrate.' }),
  })
  .meta({
    title: 'Integration Builder workspace spec',
    description: 'Lists, per API, the context an agent needs and the interactions to build.',
  });

export type InteractionKind = z.infer<typeof InteractionKindSchema>;
export type Toolchain = z.infer<typeof ToolchainSchema>;
