/**
 * hostbus: a reactive message bus for the processes of one host. This module is the whole public
 * surface; `hostbus/testing` adds the in-memory hub for tests.
 */
export * from './errors.js';

export { resolveAddress, formatAddress, privateDir, type Address } from './transport/address.js';
export { DEFAULT_MAX_LINE } from './transport/line-decoder.js';

export { Hub, type HubOptions, type HubStats } from './bus/hub.js';
export { KindRegistry, type Kind } from './bus/kinds.js';
export { Responder, REQUEST_WINDOW, type Reply } from './bus/responder.js';
export { intOption, sameOption, type Channel, type Resource, type ResourceHost } from './bus/resources/resource.js';
export type { Port, PortHandler, SessionRef } from './bus/port.js';
export type { SeqRange } from './bus/frames.js';
export type { OpenRequest } from './bus/session.js';
export { DEFAULT_MAXSIZE } from './bus/resources/queue-resource.js';

export { Bus, connect, type BusOptions } from './channels/bus.js';
export { Queue, type QueueOptions, type RecvOptions } from './channels/queue.js';
export { JoinableQueue } from './channels/joinable-queue.js';
export { Lock, type LockType, type Hold, type AcquireOptions } from './channels/lock.js';
export { Event } from './channels/event.js';
export { Condition } from './channels/condition.js';
export { Barrier, type BarrierOptions } from './channels/barrier.js';
export { Value, type ValueOptions } from './channels/value.js';
export { SharedArray } from './channels/array.js';
export { SharedDict, type DictKey } from './channels/dict.js';
export { SharedList } from './channels/list.js';
export type { Change, StateOptions, Typecode, UpdateOptions, WatchOptions, WriteOptions } from './channels/state-handle.js';
export { Pipe, PipeEnd, type PipeOptions } from './channels/pipe.js';
export { DEFAULT_PREFETCH, type Delivery } from './channels/inbound.js';
export { DEFAULT_MAX_BUFFER } from './channels/sender.js';
export { registerHandleKind, type BusLike, type HandleDescriptor, type HandleKind } from './channels/handle.js';
export { sendNdjson, recvNdjson } from './channels/streams.js';
export { Requester } from './channels/requester.js';
export { ClientChannel, type ChannelParts } from './channels/client-channel.js';

export { spawn, Process, type SpawnOptions, type Target } from './process/spawn.js';
export { start, StartedBus, type StartOptions } from './process/start.js';
export { isMain } from './process/is-main.js';
