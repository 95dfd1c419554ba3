import { VersionLaggingError } from '../errors.ts';
import { lagOf } from '../model/ordering.ts';
import type { Row } from '../model/row-changes.ts';
import type { TableDefinition } from '../model/table-definition.ts';
import type { TopicPartitionKey } from '../model/topic-partition.ts';
import type {
  ChangeEntry,
  ParkedEvent,
  ProjectionError,
  ProjectionState,
  ProjectionStatus,
  StoredParkedEvent,
} from '../read-store.ts';
import { MemoryLeases } from './memory-leases.ts';

/** What the memory store knows about one projection version. */
export interface VersionRecord {
  state: ProjectionState;
  lastError: ProjectionError | undefined;
  activatedAt: Date | undefined;
  retiredAt: Date | undefined;
  droppedAt: Date | undefined;
  updatedAt: Date;
}

/** What the memory store knows about one projection. */
export interface ProjectionRecord {
  active: number | undefined;
  versions: Map<number, VersionRecord>;
}

/** Everything a memory store holds; mutated only by committing transactions and store operations. */
export class MemoryState {
  readonly tables = new Map<string, { definition: TableDefinition; rows: Map<string, Row> }>();
  readonly offsets = new Map<string, Map<TopicPartitionKey, bigint>>();
  readonly leases = new MemoryLeases();
  readonly projections = new Map<string, ProjectionRecord>();
  readonly changeLog: ChangeEntry[] = [];
  readonly parked: StoredParkedEvent[] = [];
  lastPosition = 0n;

  projection(name: string): ProjectionRecord {
    const record = this.projections.get(name) ?? { active: undefined, versions: new Map() };
    this.projections.set(name, record);
    return record;
  }

  version(projection: string, version: number): VersionRecord {
    const versions = this.projection(projection).versions;
    const record = versions.get(version) ?? {
      state: 'running',
      lastError: undefined,
      activatedAt: undefined,
      retiredAt: undefined,
      droppedAt: undefined,
      updatedAt: new Date(),
    };
    versions.set(version, record);
    return record;
  }

  /** Parks an event; parking the same record twice keeps the first. */
  park(event: ParkedEvent): void {
    const same = (p: StoredParkedEvent) =>
      p.projection === event.projection &&
      p.version === event.version &&
      p.topic === event.topic &&
      p.partition === event.partition &&
      p.offset === event.offset;
    if (!this.parked.some(same)) this.parked.push({ ...event, parkedAt: new Date() });
  }

  /** The status of one projection, without dropped versions. */
  status(projection: string): ProjectionStatus | undefined {
    const record = this.projections.get(projection);
    if (!record) return undefined;
    const versions = [...record.versions]
      .filter(([, v]) => v.droppedAt === undefined)
      .sort(([a], [b]) => a - b)
      .map(([version, v]) => ({
        version,
        state: v.state,
        lastError: v.lastError,
        activatedAt: v.activatedAt,
        retiredAt: v.retiredAt,
        updatedAt: v.updatedAt,
      }));
    return { projection, activeVersion: record.active, versions };
  }

  /** The switch rule of the SQL stores, on maps; false when `version` already was active. */
  activate(projection: string, version: number): boolean {
    const record = this.projection(projection);
    const active = record.active;
    if (active === version) return false;
    if (active !== undefined) {
      const lagging = lagOf(
        this.offsets.get(versionKey(projection, active)) ?? new Map(),
        this.offsets.get(versionKey(projection, version)) ?? new Map(),
      );
      if (lagging.length > 0) throw new VersionLaggingError(projection, active, version, lagging);
      this.version(projection, active).retiredAt = new Date();
    }
    record.active = version;
    Object.assign(this.version(projection, version), {
      state: 'running',
      activatedAt: new Date(),
      retiredAt: undefined,
      droppedAt: undefined,
      updatedAt: new Date(),
    });
    this.appendChange({ projection, version, key: '', op: 'reset', row: null });
    return true;
  }

  /** Marks a version dropped and forgets its offsets, lease and parked events. */
  forgetVersion(projection: string, version: number): void {
    const key = versionKey(projection, version);
    this.version(projection, version).droppedAt = new Date();
    this.offsets.delete(key);
    this.leases.delete(key);
    const kept = this.parked.filter((p) => p.projection !== projection || p.version !== version);
    this.parked.splice(0, this.parked.length, ...kept);
  }

  /** Appends to the change log unless another version of the projection is active. */
  appendChange(entry: Omit<ChangeEntry, 'position' | 'createdAt'>): boolean {
    const active = this.projections.get(entry.projection)?.active;
    if (entry.op !== 'reset' && active !== undefined && active !== entry.version) return false;
    this.lastPosition += 1n;
    this.changeLog.push({ ...entry, position: this.lastPosition, createdAt: new Date() });
    return true;
  }
}

/** Key of a projection version in the memory store's maps. */
export function versionKey(projection: string, version: number): string {
  return `${projection}\u0000${version}`;
}
