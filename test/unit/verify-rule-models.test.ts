// sdk.untyped-models on the syntax tree: an action's input and output, a sync's models, are zod schemas
// that say what the data is — written inline, in variables, however formatted, or imported from other
// files of the interaction (`../models.js`, `schema.zod.js`, namespace imports, re-exports). `z.any()`,
// `z.unknown()`, a schema from outside the folder or from a file that cannot be read are findings.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeRules, folderReader } from '../../src/core/verify/rules';
import { parseTranscript, scriptRules } from '../../src/core/verify/transcript';

const ACTION = 'hubspot/actions/create-contact.ts';
const SYNC = 'hubspot/syncs/contacts.ts';

function models(file: string, source: string, files: Record<string, string> = {}) {
  return codeRules({ ts, file, source, kind: file.includes('/syncs/') ? 'sync' : 'action', readFile: (rel) => files[rel] })
    .filter((f) => f.rule === 'sdk.untyped-models')
    .map((f) => f.message);
}

const action = (head: string, input: string, output: string) => `import { createAction } from 'nango';
import * as z from 'zod';
${head}
export default createAction({
    description: 'Create a contact',
    input: ${input},
    output: ${output},
    exec: async (nango, input) => {
        const res = await nango.post({ endpoint: '/crm/v3/objects/contacts', data: { properties: input }, retries: 3 });
        return { id: String(res.data.id) };
    }
});
`;

const sync = (head: string, modelsExpr: string) => `import { createSync } from 'nango';
import { z } from 'zod';
${head}
const sync = createSync({
    description: 'Sync contacts',
    frequency: 'every hour',
    models: ${modelsExpr},
    exec: async (nango) => {
        for await (const page of nango.paginate<unknown>({ endpoint: '/crm/v3/objects/contacts', retries: 3 })) {
            await nango.batchSave(page.map((c) => ({ id: String(c) })), 'Contact');
        }
    }
});
export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
`;

describe('sdk.untyped-models: typed models', () => {
  it('inline, and split over lines the way prettier writes a long chain', () => {
    expect(
      models(ACTION, action('', 'z.object({ email: z.string() })', `z\n        .object({\n            id: z.string()\n        })\n        .passthrough()`)),
    ).toEqual([]);
  });

  it('variables, derived schemas (extend, array, optional) and z.void()/z.boolean() outputs', () => {
    const head = `const Base = z.object({ email: z.string() });\nconst Input = Base.extend({ firstname: z.string().optional() });\nconst Ids = z.array(z.object({ id: z.string() })).optional();`;
    expect(models(ACTION, action(head, 'Input', 'Ids'))).toEqual([]);
    expect(models(ACTION, action('', 'z.object({})', 'z.boolean()'))).toEqual([]);
  });

  it('imported from ../models.js, from schema.zod.js, through a namespace and a re-export', () => {
    const files = {
      'hubspot/models.ts': `import { z } from 'zod';\nexport const CreateContactInput = z.object({ email: z.string() });\nexport * from './schema.zod.js';\n`,
      'hubspot/schema.zod.ts': `import { z } from 'zod';\nexport const contactSchema = z.object({ id: z.string(), email: z.string() });\nexport { contactSchema as Contact };\n`,
    };
    expect(
      models(
        ACTION,
        action(`import { CreateContactInput } from '../models.js';\nimport { contactSchema } from '../schema.zod.js';`, 'CreateContactInput', 'contactSchema'),
        files,
      ),
    ).toEqual([]);
    expect(models(ACTION, action(`import * as schemas from '../models.js';`, 'schemas.CreateContactInput', 'schemas.contactSchema'), files)).toEqual([]);
    expect(models(SYNC, sync(`import { Contact } from '../schema.zod.js';`, '{ Contact }'), files)).toEqual([]);
    expect(models(SYNC, sync(`import { Contact } from '../models.js';`, '{ Contact: Contact }'), files)).toEqual([]);
  });

  it('a sync whose models object is built elsewhere (spread, variable)', () => {
    const head = `const Contact = z.object({ id: z.string() });\nconst Company = z.object({ id: z.string(), name: z.string() });\nconst base = { Contact };\nconst all = { ...base, Company };`;
    expect(models(SYNC, sync(head, 'all'))).toEqual([]);
  });
});

describe('sdk.untyped-models: models that say nothing, or that cannot be read', () => {
  it('z.any() and z.unknown(), also wrapped in an array or a record', () => {
    expect(models(ACTION, action('', 'z.any()', 'z.unknown()'))).toEqual([
      '`input` is not a typed zod model: `z.any()` accepts anything',
      '`output` is not a typed zod model: `z.unknown()` accepts anything',
    ]);
    expect(models(ACTION, action('', 'z.object({})', 'z.array(z.any())'))).toEqual(['`output` is not a typed zod model: `z.any()` accepts anything']);
    expect(models(ACTION, action('', 'z.object({})', 'z.record(z.string(), z.unknown())'))).toEqual([
      '`output` is not a typed zod model: `z.unknown()` accepts anything',
    ]);
  });

  it('a missing output, a sync without models, an empty models object', () => {
    expect(models(ACTION, action('', 'z.object({})', 'undefined as never').replace('    output: undefined as never,\n', ''))).toEqual([
      'the action declares no `output` zod model',
    ]);
    expect(models(SYNC, sync('', '{}'))).toEqual(['`models` is empty']);
    expect(models(SYNC, sync('', '{}').replace('    models: {},\n', ''))).toEqual(['the sync declares no `models`']);
  });

  it('a model imported from a file that is not there, from outside the folder, or from a package', () => {
    expect(models(ACTION, action(`import { Input, Output } from '../models.js';`, 'Input', 'Output'))).toEqual([
      '`input` is not a typed zod model: `Input` comes from ../models.js, which cannot be read',
      '`output` is not a typed zod model: `Output` comes from ../models.js, which cannot be read',
    ]);
    expect(models(ACTION, action(`import { Input } from '../../../other-interaction/hubspot/models.js';`, 'Input', 'z.object({ id: z.string() })'))).toEqual([
      '`input` is not a typed zod model: `Input` comes from ../../../other-interaction/hubspot/models.js, outside the interaction folder',
    ]);
    expect(models(ACTION, action(`import { Input } from '@acme/models';`, 'Input', 'z.object({ id: z.string() })'))).toEqual([
      '`input` is not a typed zod model: `Input` comes from the package @acme/models, not from the interaction',
    ]);
  });

  it('an imported name that is not a zod schema there', () => {
    const files = { 'hubspot/models.ts': `export const Input = { email: 'string' };\nexport const Loose = z.unknown();\nimport { z } from 'zod';\n` };
    expect(models(ACTION, action(`import { Input, Loose } from '../models.js';`, 'Input', 'Loose'), files)).toEqual([
      "`input` is not a typed zod model: `{ email: 'string' }` is not a zod schema",
      '`output` is not a typed zod model: `z.unknown()` accepts anything',
    ]);
  });

  it('no createAction/createSync at all', () => {
    expect(models(ACTION, `import * as z from 'zod';\nexport const Out = z.object({ id: z.string() });\n`)).toEqual([
      'no createAction/createSync(…) found, so its zod models (input, output, records) cannot be checked',
    ]);
  });
});

describe('models in the interaction folder, read from disk', () => {
  it('a model file of the folder counts; one that is a symlink out of the folder does not', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ib-models-'));
    try {
      const folder = path.join(root, 'work', 'hubspot', 'create-contact');
      mkdirSync(path.join(folder, 'hubspot', 'actions'), { recursive: true });
      writeFileSync(
        path.join(folder, 'hubspot', 'models.ts'),
        `import { z } from 'zod';\nexport const Input = z.object({ email: z.string() });\nexport const Output = z.object({ id: z.string() });\n`,
      );
      writeFileSync(
        path.join(root, 'elsewhere.ts'),
        `import { z } from 'zod';\nexport const Input = z.object({ email: z.string() });\nexport const Output = z.object({ id: z.string() });\n`,
      );
      symlinkSync(path.join(root, 'elsewhere.ts'), path.join(folder, 'hubspot', 'linked.ts'));
      const source = action(`import { Input, Output } from '../models.js';`, 'Input', 'Output');
      const ctx = { transcript: parseTranscript('', 1), folder, integrationId: 'hubspot', interactionId: 'create-contact', scriptRel: ACTION, violations: [] };
      expect(scriptRules(ctx, source, 'action')).toEqual([]);
      expect(folderReader(folder)('hubspot/linked.ts')).toBeUndefined();
      expect(folderReader(folder)('../../elsewhere.ts')).toBeUndefined();
      const linked = scriptRules(ctx, source.replace("'../models.js'", "'../linked.js'"), 'action');
      expect(linked.map((f) => [f.rule, f.check, f.severity, f.location])).toEqual([
        ['sdk.untyped-models', 'transcript', 'warning', { file: ACTION, line: 6 }],
        ['sdk.untyped-models', 'transcript', 'warning', { file: ACTION, line: 7 }],
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
