/** Errors of the actor host, one class per failure a caller may want to tell apart. */

/** An actor id is unknown. */
export class ActorNotFoundError extends Error {
  constructor(readonly actorId: string) {
    super(`actor ${actorId} does not exist`);
    this.name = 'ActorNotFoundError';
  }
}

/** create() of an id that is taken. */
export class ActorExistsError extends Error {
  constructor(readonly actorId: string) {
    super(`actor ${actorId} already exists`);
    this.name = 'ActorExistsError';
  }
}

/** The machine itself failed on an event (a bug): the event was not applied. */
export class ActorEventError extends Error {
  constructor(
    readonly actorId: string,
    eventType: string,
    cause: unknown,
  ) {
    super(`actor ${actorId} failed on event ${eventType}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ActorEventError';
  }
}

/** Another writer advanced this actor's log first: this process's copy is stale. */
export class StaleWriterError extends Error {
  constructor(
    readonly actorId: string,
    expectedSeq: number | null,
  ) {
    super(`actor ${actorId} was written by another writer (expected seq ${expectedSeq})`);
    this.name = 'StaleWriterError';
  }
}

/** The store refused this actor's write (e.g. data PostgreSQL cannot hold). */
export class StoreRejectedError extends Error {
  constructor(
    readonly actorId: string,
    cause: unknown,
  ) {
    super(`actor ${actorId}: the store refused the write: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StoreRejectedError';
  }
}

/** The host is stopping and takes no new work. */
export class HostStoppedError extends Error {
  constructor() {
    super('the actor host is stopping');
    this.name = 'HostStoppedError';
  }
}

/** A message's event was already logged by its receiver (a redelivery): the duplicate is dropped. */
export class AlreadyDeliveredError extends Error {
  constructor(
    readonly actorId: string,
    readonly deliveryKey: string | undefined,
  ) {
    super(`actor ${actorId} already applied message ${deliveryKey ?? '(unknown)'}; the duplicate is dropped`);
    this.name = 'AlreadyDeliveredError';
  }
}

/** In a cluster, another live node owns this actor (docs/cluster.md): the request belongs there. */
export class ActorElsewhereError extends Error {
  constructor(
    readonly actorId: string,
    readonly owner: string,
  ) {
    super(`actor ${actorId} is owned by node ${owner}`);
    this.name = 'ActorElsewhereError';
  }
}
