/**
 * The node actors' lifecycle as membership sees it (docs/cluster.md): each join, start, death and
 * departure is an event of the actor `node:<id>` (actors/machines/node.machine.ts), so the console
 * and the history show every node's life. The actor is made at its node's first join.
 */
import type { ActorHost } from '../../actors/host/host.ts';
import { ActorNotFoundError } from '../../actors/host/errors.ts';
import { nodeActorId } from '../../actors/machines/ids.ts';
import type { NodeEvent } from '../../actors/machines/node.types.ts';
import type { Logger } from '../../lib/log.ts';

/** Tells node actors what membership learns. */
export class NodeLife {
  constructor(private p: { host: () => Pick<ActorHost, 'dispatch' | 'create' | 'takeOverActor'>; log: Logger }) {}

  /** This node joined under `epoch` at `baseUrl` (its actor is made at the first join; a survivor may own it since). */
  async joined(node: string, epoch: number, baseUrl: string): Promise<void> {
    await this.p.host().takeOverActor(nodeActorId(node));
    return this.tell(node, { type: 'node.joined', epoch, baseUrl }, { epoch, baseUrl });
  }

  started(node: string): Promise<void> {
    return this.tell(node, { type: 'node.started' });
  }

  /** Another node's lease ran out and this node declared it dead. */
  dead(node: string, epoch: number): Promise<void> {
    return this.tell(node, { type: 'node.dead', epoch });
  }

  left(node: string): Promise<void> {
    return this.tell(node, { type: 'node.left' });
  }

  private async tell(node: string, event: NodeEvent, create?: { epoch: number; baseUrl: string }): Promise<void> {
    const id = nodeActorId(node);
    try {
      await this.p.host().dispatch(id, event);
    } catch (err) {
      if (err instanceof ActorNotFoundError && create) {
        await this.p.host().create('node', id, create);
        return;
      }
      // The node's life goes on without its actor's record of this step (it is in cluster_nodes and the log).
      this.p.log.warn({ node, event: event.type, err: String(err) }, 'node actor not told');
    }
  }
}
