// Python's "queues to feed tasks to a collection of worker processes and collect the results"
// example, ported line for line (Python's code is in the comments).
//
// Two differences:
// - A function cannot go to another process as a value (Python pickles it by its qualified name),
//   so a task names its function ('mul', 'plus') and the worker looks it up in FUNCTIONS.
// - Python prints the results as they come, in an order that changes from run to run (several
//   workers, random sleeps), each prefixed by the name of the process that computed it. This port
//   collects them and prints them sorted, without the process name, so that the output is the
//   same on every run (test/examples.test.ts checks it).
import { isMain, spawn, start, type Process, type Queue } from 'hostbus';

type Args = [number, number];
type Task = [name: keyof typeof FUNCTIONS, args: Args];

// def mul(a, b):
//     time.sleep(0.5*random.random())
//     return a * b
async function mul(a: number, b: number): Promise<number> {
  await sleep(500 * Math.random());
  return a * b;
}

// def plus(a, b): ...
async function plus(a: number, b: number): Promise<number> {
  await sleep(500 * Math.random());
  return a + b;
}

const FUNCTIONS = { mul, plus };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// def calculate(func, args):
//     result = func(*args)
//     return '%s says that %s%s = %s' % (current_process().name, func.__name__, args, result)
async function calculate(func: keyof typeof FUNCTIONS, args: Args): Promise<string> {
  const result = await FUNCTIONS[func](...args);
  return `${func}(${args.join(', ')}) = ${result}`;
}

// def worker(input, output):
//     for func, args in iter(input.get, 'STOP'):
//         result = calculate(func, args)
//         output.put(result)
export async function worker(input: Queue<Task | 'STOP'>, output: Queue<string>): Promise<void> {
  let task: Task | 'STOP';
  while ((task = await input.get()) !== 'STOP') {
    const [func, args] = task;
    const result = await calculate(func, args);
    await output.put(result);
  }
}

// Results in the order of their tasks: mul(2, 7) before mul(10, 7).
const sorted = (results: string[]) => results.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

async function test(): Promise<void> {
  const NUMBER_OF_PROCESSES = 4;
  const TASKS1: Task[] = [...Array(20).keys()].map((i) => ['mul', [i, 7]]);
  const TASKS2: Task[] = [...Array(10).keys()].map((i) => ['plus', [i, 8]]);

  await using mp = await start();

  // Create queues
  const taskQueue = mp.queue<Task | 'STOP'>('tasks');
  const doneQueue = mp.queue<string>('done');

  // Submit tasks
  for (const task of TASKS1) await taskQueue.put(task);

  // Start worker processes
  const workers: Process[] = [];
  for (let i = 0; i < NUMBER_OF_PROCESSES; i++) workers.push(spawn(import.meta.url, worker, [taskQueue, doneQueue]));

  // Get and print results
  console.log('Results (sorted):');
  const results: string[] = [];
  for (let i = 0; i < TASKS1.length; i++) results.push(await doneQueue.get());
  for (const result of sorted(results)) console.log('\t', result);

  // Add more tasks using put()
  for (const task of TASKS2) await taskQueue.put(task);

  // Get and print some more results
  const more: string[] = [];
  for (let i = 0; i < TASKS2.length; i++) more.push(await doneQueue.get());
  for (const result of sorted(more)) console.log('\t', result);

  // Tell child processes to stop
  for (let i = 0; i < NUMBER_OF_PROCESSES; i++) await taskQueue.put('STOP');

  // Python's interpreter waits for its non-daemon processes at exit; here they are joined.
  for (const w of workers) await w.join();
}

if (isMain(import.meta.url)) await test();
