import { ErrorCodes, SluiceError } from './errors.ts';
import type { Command } from './messages.ts';
import type { Schema } from './schema.ts';

/** How one command type is routed and validated. */
export interface CommandDefinition<Type extends string = string, Data = unknown> {
  readonly type: Type;
  /** The aggregate type it acts on, e.g. `user`: its events go to `user-events`. */
  readonly aggregate: string;
  /** The data field holding the aggregate id, e.g. `userId`. */
  readonly idField: string;
  /** The payload's schema (an `s.object`); `idField` must be one of its fields. */
  readonly schema: Schema<Data>;
  /** A creating command may omit its id: it then gets `creationId(commandId)`. */
  readonly creates?: boolean;
}

/** Where a command goes: state is keyed by (aggregate type, id), Kafka records by the id. */
export interface CommandTarget {
  readonly aggregateType: string;
  readonly aggregateId: string;
}

/** Declares a command type, checking that its id field is in its schema. */
export function defineCommand<const Type extends string, Data>(
  definition: CommandDefinition<Type, Data>,
): CommandDefinition<Type, Data> {
  const schema = definition.schema as Schema;
  if (schema.kind !== 'object')
    throw new TypeError(`${definition.type}: the schema must be an object schema`);
  const idSchema = schema.fields[definition.idField];
  if (idSchema === undefined)
    throw new TypeError(`${definition.type}: id field ${definition.idField} is not in the schema`);
  const optional = idSchema.kind === 'optional';
  if (optional !== (definition.creates === true))
    throw new TypeError(
      `${definition.type}: the id field is optional exactly when the command creates its aggregate`,
    );
  return definition;
}

/** The command types an application accepts. */
export class CommandRegistry {
  readonly #definitions: ReadonlyMap<string, CommandDefinition>;

  constructor(definitions: Iterable<CommandDefinition>) {
    const map = new Map<string, CommandDefinition>();
    for (const definition of definitions) {
      if (map.has(definition.type)) throw new TypeError(`command type ${definition.type} is defined twice`);
      map.set(definition.type, definition);
    }
    this.#definitions = map;
  }

  /** The definition of a command type, if registered. */
  get(type: string): CommandDefinition | undefined {
    return this.#definitions.get(type);
  }

  /** Every registered definition. */
  definitions(): readonly CommandDefinition[] {
    return [...this.#definitions.values()];
  }

  /** Every aggregate type some command acts on. */
  aggregateTypes(): readonly string[] {
    return [...new Set([...this.#definitions.values()].map((definition) => definition.aggregate))];
  }

  /** Where a (decoded) command goes; throws `UNKNOWN_COMMAND` or `INVALID_COMMAND` if it cannot be routed. */
  route(command: Command): CommandTarget {
    const definition = this.#definitions.get(command.type);
    if (definition === undefined)
      throw new SluiceError(ErrorCodes.UNKNOWN_COMMAND, `unknown command type ${command.type}`);
    const id = command.data[definition.idField];
    if (typeof id !== 'string' || id === '')
      throw new SluiceError(
        ErrorCodes.INVALID_COMMAND,
        `${command.type}.${definition.idField} is not a normalised id`,
        {
          details: { path: definition.idField },
        },
      );
    return { aggregateType: definition.aggregate, aggregateId: id };
  }
}

/** Builds a registry from definitions. */
export function createCommandRegistry(definitions: Iterable<CommandDefinition>): CommandRegistry {
  return new CommandRegistry(definitions);
}
