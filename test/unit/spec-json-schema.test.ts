import { describe, expect, it } from 'vitest';
import { specJsonSchema } from '../../src/core/spec/jsonSchema';

type Schema = { [k: string]: unknown } & { properties?: Record<string, Schema>; items?: Schema; required?: string[] };

describe('generated JSON Schema', () => {
  const schema = specJsonSchema() as Schema;
  const integration = schema.properties!.integrations!.items!;
  const interaction = integration.properties!.interactions!.items!;

  it('requires the fields the loader requires', () => {
    expect(schema.required).toEqual(['integrations']);
    expect(integration.required).toEqual(['id', 'connectionId', 'environment', 'docs', 'context', 'interactions']);
    expect(interaction.required).toEqual(['id', 'displayName', 'description', 'prompt', 'comments']);
  });

  it('closes every object so unknown fields are flagged in the editor too', () => {
    for (const s of [schema, integration, interaction]) expect(s.additionalProperties).toBe(false);
  });

  it('describes fields for hovers and completion', () => {
    expect(interaction.properties!.kind).toMatchObject({ enum: ['action', 'sync'] });
    expect(String(interaction.properties!.id!.description)).toMatch(/"-" or "_".*compliance_master/);
    expect(interaction.properties!.id!.pattern).toBe('^[a-z0-9]+(?:[-_][a-z0-9]+)*$');
    expect(interaction.properties!.id).toMatchObject({ minLength: 1, maxLength: 64 });
    expect(String(integration.properties!.id!.description)).toMatch(/kebab-case/i);
    expect(integration.properties!.id).toMatchObject({ pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', maxLength: 64 });
  });
});
