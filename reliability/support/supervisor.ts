import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild } from '../../packages/kafka/src/testing/command-fixture.ts';
import type { TestDeployment } from '../../packages/kafka/src/testing/deployment.ts';
import type { ProcessorProcess } from '../../packages/kafka/src/testing/processor-process.ts';

/**
 * A processor child restarted (same instance id) whenever it exits by itself, as a service manager
 * would. The exits are counted and their last words kept: a processor that should have recovered on
 * its own shows up there, while the data checks still run.
 */
export class SupervisedProcessor {
  readonly exits: string[] = [];
  #current: ProcessorProcess;
  #committedBefore = 0;
  #stopped = false;
  readonly #watching: Promise<void>;

  constructor(t: TestContext, deployment: TestDeployment) {
    this.#current = startChild(t, deployment);
    this.#watching = this.#supervise(t, deployment, this.#current.instanceId);
    // A failed test must not leave it restarting children against brokers that are gone.
    deployment.defer(() => {
      this.#stopped = true;
      return this.#current.kill();
    });
  }

  async #supervise(t: TestContext, deployment: TestDeployment, instanceId: string): Promise<void> {
    while (!this.#stopped) {
      const exit = await this.#current.exited;
      if (this.#stopped) return;
      const said = this.#current.lines.findLast((line) => line.event === 'error');
      this.exits.push(`exit ${JSON.stringify(exit)}: ${String(said?.message ?? '').slice(0, 300)}`);
      this.#committedBefore += this.#current.committedCommands;
      await sleep(1_000);
      if (this.#stopped) return;
      this.#current = startChild(t, deployment, { instanceId });
    }
  }

  get current(): ProcessorProcess {
    return this.#current;
  }

  /** Commands committed over all incarnations. */
  get committedCommands(): number {
    return this.#committedBefore + this.#current.committedCommands;
  }

  /** Waits until `count` commands were committed in all (generous deadline). */
  async waitForCommitted(count: number, timeoutMs = 240_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.committedCommands < count) {
      if (Date.now() > deadline)
        throw new Error(
          `processor: ${this.committedCommands} of ${count} commands; exits: ${this.exits.join(' | ')}`,
        );
      await sleep(200);
    }
  }

  /** Stops supervising and terminates the current child gracefully. */
  async terminate(): Promise<void> {
    this.#stopped = true;
    await this.#current.terminate();
    await this.#watching;
  }
}
