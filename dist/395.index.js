export const id = 395;
export const ids = [395];
export const modules = {

/***/ 83395:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   stageIpfs: () => (/* binding */ stageIpfs),
/* harmony export */   stallPolicy: () => (/* binding */ stallPolicy)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(57075);
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(node_stream__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(46466);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_5___default = /*#__PURE__*/__webpack_require__.n(node_stream_promises__WEBPACK_IMPORTED_MODULE_5__);
/* harmony import */ var _ipld_car_iterator__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(11252);
/* harmony import */ var _ipld_dag_pb__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(22314);
/* harmony import */ var ipfs_unixfs_exporter__WEBPACK_IMPORTED_MODULE_12__ = __webpack_require__(12052);
/* harmony import */ var ipfs_unixfs_exporter__WEBPACK_IMPORTED_MODULE_13__ = __webpack_require__(93293);
/* harmony import */ var kubo_rpc_client__WEBPACK_IMPORTED_MODULE_11__ = __webpack_require__(24962);
/* harmony import */ var multiformats_cid__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(67314);
/* harmony import */ var multiformats_hashes_identity__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(42007);
/* harmony import */ var multiformats_hashes_sha2__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(87891);













const DAG_PB = 0x70;
const IDENTITY = 0x00;
const HASHERS = new Map([
    [multiformats_hashes_sha2__WEBPACK_IMPORTED_MODULE_10__/* .sha256 */ .s.code, async (bytes) => (await multiformats_hashes_sha2__WEBPACK_IMPORTED_MODULE_10__/* .sha256 */ .s.digest(bytes)).digest],
    [multiformats_hashes_sha2__WEBPACK_IMPORTED_MODULE_10__/* .sha512 */ .Z.code, async (bytes) => (await multiformats_hashes_sha2__WEBPACK_IMPORTED_MODULE_10__/* .sha512 */ .Z.digest(bytes)).digest],
    [multiformats_hashes_identity__WEBPACK_IMPORTED_MODULE_9__/* .identity */ .D.code, (bytes) => multiformats_hashes_identity__WEBPACK_IMPORTED_MODULE_9__/* .identity */ .D.digest(bytes).digest]
]);
const PROGRESS_EVERY_BYTES = 64 * 1024 * 1024;
/** How much of a file being unpacked may wait for the disk. */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
/** Blocks received but not yet on disk: past this, the CAR waits for the disk. */
const UNWRITTEN_LIMIT_BYTES = 32 * 1024 * 1024;
const PROGRESS_EVERY_MS = 10_000;
/**
 * Stages `ipfs://CID[/path]` as files on the runner. The DAG arrives as a CAR
 * (from the Kubo RPC API's `dag/export` when `ipfs-api` is set, else from a
 * trustless gateway) and every block is hashed against its CID before it is
 * kept; the blocks go to an on-disk store, since inputs may be far larger
 * than memory. Files are unpacked from verified blocks while the CAR still
 * arrives (a block not yet received is waited for), and the staging only
 * succeeds once the whole DAG is proved complete: on any failure everything
 * unpacked is deleted, so no container ever sees part of an input.
 */
const stageIpfs = async (request) => {
    const { source, stagingDir, settings, log } = request;
    const segments = source.subpath.split('/').filter(Boolean);
    const label = `ipfs://${source.cid}${segments.length ? `/${segments.join('/')}` : ''}`;
    const fail = (problem, cause) => new Error(`Input '${label}': ${problem}`, { cause });
    // A node asked for a CID it does not have waits for it forever (offline, or
    // searching the network): with no byte for this long, the input fails.
    const from = settings.ipfsApi ? `the IPFS node at ${settings.ipfsApi}` : `the gateway ${settings.ipfsGateway}`;
    const watchdog = new Watchdog(stallPolicy.ms, () => new Error(`no data from ${from} for ${stallPolicy.ms / 1000} s; it may not have this CID (is it pinned, or provided to the network?).`));
    const signal = request.signal ? AbortSignal.any([request.signal, watchdog.signal]) : watchdog.signal;
    let root;
    try {
        root = multiformats_cid__WEBPACK_IMPORTED_MODULE_8__/* .CID */ .TO.parse(source.cid);
    }
    catch (error) {
        throw fail('not a valid CID.', error);
    }
    // A random name: a folder in the DAG could not be called this by accident.
    const store = new VerifiedStore(node_path__WEBPACK_IMPORTED_MODULE_3___default().join(stagingDir, `.blocks-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomUUID)()}`), label, settings.maxInputBytes, log);
    store.onProgress = () => watchdog.touch();
    await store.open();
    const name = segments.at(-1) ?? root.toString();
    const hostPath = node_path__WEBPACK_IMPORTED_MODULE_3___default().join(stagingDir, name);
    // Unpacking runs beside the transfer; whatever fails, it has stopped before anything is deleted.
    let unpacking;
    try {
        let target;
        const unpackWhileReceiving = (at) => {
            unpacking = unpack(at, hostPath, store, signal);
            unpacking.catch(() => { });
        };
        if (settings.ipfsApi) {
            const api = settings.ipfsApi;
            const client = (0,kubo_rpc_client__WEBPACK_IMPORTED_MODULE_11__/* .create */ .vt)({ url: api, headers: Object.fromEntries(settings.ipfsApiHeaders ?? []) });
            log.info(`Fetching ${label} from the IPFS node at ${api}`);
            // The node may say what the path leads to, but only blocks we hashed
            // ourselves are believed: the walk fetches each block along the path.
            store.fetchMissing = async (cid) => {
                try {
                    return await client.block.get(cid, { signal });
                }
                catch (error) {
                    throw fail(`the IPFS node at ${api} could not return block ${cid}: ${error.message}`, error);
                }
            };
            target = await resolve(root, segments, store, fail);
            store.fetchMissing = undefined;
            const ingesting = store.ingestCar(client.dag.export(target, { signal }), `${api} dag/export`);
            unpackWhileReceiving(target);
            await ingesting;
        }
        else {
            const gateway = settings.ipfsGateway.replace(/\/+$/, '');
            const url = `${gateway}/ipfs/${root}${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}?format=car${segments.length ? '&dag-scope=all' : ''}`;
            log.info(`Fetching ${label} as a CAR from ${gateway}`);
            let response;
            try {
                response = await fetch(url, { headers: { accept: 'application/vnd.ipld.car' }, signal });
            }
            catch (error) {
                throw fail(`could not reach the gateway ${gateway}: ${describe(error)}`, error);
            }
            if (!response.ok || !response.body) {
                const body = (await response.text().catch(() => '')).slice(0, 300).trim();
                const problem = response.status === 404 && segments.length
                    ? `the path "${segments.join('/')}" does not exist in ${root} (the gateway answered 404${body ? `: ${body}` : ''}).`
                    : `the gateway ${gateway} answered HTTP ${response.status}${body ? `: ${body}` : ''}.`;
                throw fail(problem);
            }
            const ingesting = store.ingestCar(response.body, gateway);
            ingesting.catch(() => { });
            // The path's blocks come first in the CAR, so the walk usually waits only for them.
            const resolving = resolve(root, segments, store, fail);
            resolving.then(unpackWhileReceiving, () => { });
            await ingesting;
            target = await resolving;
        }
        // Everything has arrived: only the disk paces the rest of the unpacking, so the stall watch ends here.
        watchdog.stop();
        store.checkComplete(target);
        log.info(`Verified ${store.blocks} blocks (${store.bytesReceived} bytes); unpacking`);
        const unpacked = await unpacking;
        return {
            hostPath,
            identity: { scheme: 'ipfs', cid: source.cid, subpath: segments.join('/'), resolvedCid: target.toString() },
            bytes: unpacked
        };
    }
    catch (error) {
        // Nothing half-unpacked may reach a container.
        store.finish(error);
        await unpacking?.catch(() => { });
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().rm(hostPath, { recursive: true, force: true });
        if (watchdog.stalled)
            throw fail(watchdog.stalled.message, error);
        if (error instanceof Error && error.message.startsWith(`Input '${label}'`))
            throw error;
        throw fail(describe(error), error);
    }
    finally {
        watchdog.stop();
        await store.close();
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().rm(store.dir, { recursive: true, force: true });
    }
};
/** How long an IPFS input may go without receiving a byte before it fails; tests may shorten it. */
const stallPolicy = { ms: 120_000 };
/** Aborts its signal when `touch` has not been called for `ms`. */
class Watchdog {
    ms;
    stallError;
    controller = new AbortController();
    timer;
    stopped = false;
    constructor(ms, stallError) {
        this.ms = ms;
        this.stallError = stallError;
        this.touch();
    }
    get signal() {
        return this.controller.signal;
    }
    /** The reason, once it fired. */
    get stalled() {
        return this.controller.signal.aborted ? this.controller.signal.reason : undefined;
    }
    touch() {
        if (this.stopped || this.controller.signal.aborted)
            return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.controller.abort(this.stallError()), this.ms);
    }
    stop() {
        this.stopped = true;
        clearTimeout(this.timer);
    }
}
/** Walks `segments` from `root` over verified blocks only; the last CID is the target. */
async function resolve(root, segments, store, fail) {
    if (segments.length === 0)
        return root;
    let target;
    let remainder = segments;
    try {
        for await (const entry of (0,ipfs_unixfs_exporter__WEBPACK_IMPORTED_MODULE_12__/* .walkPath */ .T)(`${root}/${segments.join('/')}`, store)) {
            target = multiformats_cid__WEBPACK_IMPORTED_MODULE_8__/* .CID */ .TO.decode(entry.cid.bytes);
            remainder = entry.remainder;
        }
    }
    catch (error) {
        if (error instanceof MissingBlockError)
            throw fail(error.message, error);
        if (error.message?.startsWith('Input '))
            throw error;
        throw fail(`the path "${segments.join('/')}" does not exist in ${root}: ${error.message}`, error);
    }
    if (!target || remainder.length > 0) {
        throw fail(`the path "${segments.join('/')}" does not exist in ${root}.`);
    }
    return target;
}
class MissingBlockError extends Error {
}
/**
 * A block store that accepts only blocks whose bytes hash to their CID,
 * counts the bytes it is sent against the input limit, and remembers each
 * dag-pb block's links so that a DAG can be proved complete. Blocks are
 * appended to one file (a block per file cost an open, a rename and a GC'd
 * read stream each) and read back by offset; a reader asking for a block that
 * has not arrived yet waits for it until the CAR ends.
 */
class VerifiedStore {
    dir;
    label;
    maxBytes;
    log;
    file;
    appended = 0;
    offsets = new Map();
    /** Blocks whose write to the file has not finished: read from memory meanwhile. */
    unwritten = new Map();
    unwrittenBytes = 0;
    writes = Promise.resolve();
    links = new Map();
    waiting = new Map();
    ingesting = false;
    ended;
    blocks = 0;
    bytesReceived = 0;
    nextReportBytes = PROGRESS_EVERY_BYTES;
    nextReportAt = Date.now() + PROGRESS_EVERY_MS;
    fetchMissing;
    /** Called whenever bytes arrive. */
    onProgress;
    constructor(dir, label, maxBytes, log) {
        this.dir = dir;
        this.label = label;
        this.maxBytes = maxBytes;
        this.log = log;
    }
    async open() {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().mkdir(this.dir);
        this.file = await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().open(node_path__WEBPACK_IMPORTED_MODULE_3___default().join(this.dir, 'blocks'), 'w+');
    }
    async close() {
        await this.writes.catch(() => { });
        await this.file?.close();
        this.file = undefined;
    }
    count(bytes) {
        this.onProgress?.();
        this.bytesReceived += bytes;
        if (this.maxBytes !== undefined && this.bytesReceived > this.maxBytes) {
            throw new Error(`Input '${this.label}': it is larger than max-input-size (${this.maxBytes} bytes); stopped after receiving ${this.bytesReceived} bytes.`);
        }
        if (this.bytesReceived >= this.nextReportBytes || Date.now() >= this.nextReportAt) {
            this.log.info(`${this.label}: received ${(this.bytesReceived / 1024 / 1024).toFixed(1)} MiB, ${this.blocks} blocks verified`);
            while (this.nextReportBytes <= this.bytesReceived)
                this.nextReportBytes += PROGRESS_EVERY_BYTES;
            this.nextReportAt = Date.now() + PROGRESS_EVERY_MS;
        }
    }
    /** Streams a CAR in, block by block; nothing unverified is ever kept. Readers wait for it to end. */
    async ingestCar(car, from) {
        this.ingesting = true;
        try {
            await this.readCar(car, from);
            await this.writes;
            this.finish();
        }
        catch (error) {
            this.finish(error);
            throw error;
        }
    }
    async readCar(car, from) {
        const counted = async function* () {
            for await (const chunk of car) {
                this.count(chunk.byteLength);
                yield chunk;
            }
        }.call(this);
        let iterator;
        try {
            iterator = await _ipld_car_iterator__WEBPACK_IMPORTED_MODULE_6__/* .CarBlockIterator */ .Yt.fromIterable(counted);
        }
        catch (error) {
            // The cause says why (a host that does not resolve, a refused connection); "fetch failed" alone does not.
            throw this.error(`${from} did not send a CAR: ${describe(error)}`, error);
        }
        try {
            for await (const block of iterator)
                await this.putVerified(multiformats_cid__WEBPACK_IMPORTED_MODULE_8__/* .CID */ .TO.decode(block.cid.bytes), block.bytes);
        }
        catch (error) {
            if (error.message?.startsWith('Input '))
                throw error;
            throw this.error(`reading the CAR from ${from} failed: ${describe(error)}`, error);
        }
    }
    /** No more blocks will come: readers still waiting fail (with `error`, or as missing). */
    finish(error) {
        this.ingesting = false;
        this.ended ??= error instanceof Error ? error : undefined;
        for (const [key, waiters] of this.waiting) {
            const failure = this.ended ?? new MissingBlockError(`block ${multiformats_cid__WEBPACK_IMPORTED_MODULE_8__/* .CID */ .TO.parse(key)} is missing from what was received.`);
            for (const waiter of waiters)
                waiter.reject(failure);
        }
        this.waiting.clear();
    }
    error(problem, cause) {
        return new Error(`Input '${this.label}': ${problem}`, { cause });
    }
    async putVerified(cid, bytes) {
        const hash = HASHERS.get(cid.multihash.code);
        if (!hash) {
            throw this.error(`block ${cid} uses hash function 0x${cid.multihash.code.toString(16)}, which cannot be verified here.`);
        }
        const digest = await hash(bytes);
        if (!equalBytes(digest, cid.multihash.digest)) {
            throw this.error(`block ${cid} does not match its CID (its bytes hash to something else); the data was refused.`);
        }
        const key = keyOf(cid);
        if (this.offsets.has(key))
            return;
        if (cid.code === DAG_PB) {
            let node;
            try {
                node = _ipld_dag_pb__WEBPACK_IMPORTED_MODULE_7__.decode(bytes);
            }
            catch (error) {
                throw this.error(`block ${cid} is not valid dag-pb: ${error.message}`, error);
            }
            this.links.set(key, node.Links.map((link) => keyOf(multiformats_cid__WEBPACK_IMPORTED_MODULE_8__/* .CID */ .TO.decode(link.Hash.bytes))));
        }
        const offset = this.appended;
        this.appended += bytes.byteLength;
        this.offsets.set(key, { offset, length: bytes.byteLength });
        this.unwritten.set(key, bytes);
        this.unwrittenBytes += bytes.byteLength;
        const file = this.file;
        // Writes at distinct offsets may run side by side; the CAR waits only when too much is unwritten.
        const written = file.write(bytes, 0, bytes.byteLength, offset).then(() => {
            this.unwritten.delete(key);
            this.unwrittenBytes -= bytes.byteLength;
        });
        this.writes = Promise.all([this.writes, written]).then(() => { });
        this.writes.catch(() => { });
        this.blocks++;
        for (const waiter of this.waiting.get(key) ?? [])
            waiter.resolve();
        this.waiting.delete(key);
        if (this.unwrittenBytes > UNWRITTEN_LIMIT_BYTES)
            await written;
    }
    /** The exporter's view: a block not here yet is waited for, fetched (and verified), or refused. */
    async *get(cid) {
        const parsed = multiformats_cid__WEBPACK_IMPORTED_MODULE_8__/* .CID */ .TO.decode(cid.bytes);
        if (parsed.multihash.code === IDENTITY) {
            yield parsed.multihash.digest;
            return;
        }
        const key = keyOf(parsed);
        if (!this.offsets.has(key)) {
            if (this.ingesting) {
                await new Promise((resolve, reject) => {
                    const waiters = this.waiting.get(key) ?? [];
                    waiters.push({ resolve, reject });
                    this.waiting.set(key, waiters);
                });
            }
            else if (this.fetchMissing && !this.ended) {
                const bytes = await this.fetchMissing(parsed);
                this.count(bytes.byteLength);
                await this.putVerified(parsed, bytes);
            }
            else {
                throw this.ended ?? new MissingBlockError(`block ${parsed} is missing from what was received.`);
            }
        }
        const held = this.unwritten.get(key);
        if (held) {
            yield held;
            return;
        }
        const { offset, length } = this.offsets.get(key);
        const buffer = Buffer.allocUnsafe(length);
        for (let read = 0; read < length;) {
            const { bytesRead } = await this.file.read(buffer, read, length - read, offset + read);
            if (bytesRead === 0)
                throw new Error(`the block store ended early reading block ${parsed}`);
            read += bytesRead;
        }
        yield buffer;
    }
    /** Every block reachable from `root` must be here before the input is staged. */
    checkComplete(root) {
        const pending = [keyOf(root)];
        const visited = new Set();
        while (pending.length > 0) {
            const key = pending.pop();
            if (visited.has(key))
                continue;
            visited.add(key);
            const cid = multiformats_cid__WEBPACK_IMPORTED_MODULE_8__/* .CID */ .TO.parse(key);
            if (cid.multihash.code === IDENTITY)
                continue;
            if (!this.offsets.has(key)) {
                throw this.error(`block ${cid} of ${root} was not received; refusing an incomplete DAG.`);
            }
            pending.push(...(this.links.get(key) ?? []));
        }
    }
}
/** CIDv0 and its CIDv1 form name the same block. */
function keyOf(cid) {
    return cid.toV1().toString();
}
function equalBytes(a, b) {
    return (a.byteLength === b.byteLength &&
        Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
}
function describe(error) {
    const parts = [];
    for (let e = error; e; e = e.cause) {
        const part = e.code && !e.message?.includes(e.code) ? `${e.message} (${e.code})` : (e.message ?? String(e));
        if (part && !parts.some((p) => p.includes(part)))
            parts.push(part);
    }
    return parts.join(': ') || String(error);
}
/** A name in a directory must be one plain path segment. */
function checkName(name, parent) {
    if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
        throw new Error(`the folder ${parent} holds an entry named ${JSON.stringify(name)}, which is not a safe file name.`);
    }
}
/**
 * Writes the UnixFS entry at `cid` to `dest`. Files are opened with O_EXCL and
 * folders made one by one, so a DAG holding a symlink and a folder of the same
 * name can never make us write through that link.
 */
async function unpack(cid, dest, store, signal) {
    signal?.throwIfAborted();
    // A string path: the exporter's multiformats is not ours, so our CID objects fail its checks.
    const entry = await (0,ipfs_unixfs_exporter__WEBPACK_IMPORTED_MODULE_13__/* .exporter */ .E)(cid.toString(), store, { signal });
    if (entry.type === 'directory') {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().mkdir(dest);
        let total = 0;
        const seen = new Set();
        for await (const child of entry.entries({ signal })) {
            checkName(child.name, dest);
            if (seen.has(child.name))
                throw new Error(`the folder ${dest} lists "${child.name}" twice.`);
            seen.add(child.name);
            total += await unpack(multiformats_cid__WEBPACK_IMPORTED_MODULE_8__/* .CID */ .TO.decode(child.cid.bytes), node_path__WEBPACK_IMPORTED_MODULE_3___default().join(dest, child.name), store, signal);
        }
        // Applied last: a read-only folder must still be filled first.
        if (entry.unixfs.mode !== undefined)
            await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().chmod(dest, entry.unixfs.mode & 0o777);
        return total;
    }
    if (entry.type === 'file' && entry.unixfs.type === 'symlink') {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().symlink(new TextDecoder().decode(entry.unixfs.data ?? new Uint8Array()), dest);
        return 0;
    }
    if (entry.type === 'file' || entry.type === 'raw' || entry.type === 'identity') {
        let written = 0;
        const content = entry.content({ signal });
        const counted = (async function* () {
            for await (const chunk of content) {
                written += chunk.byteLength;
                yield chunk;
            }
        })();
        // A deep write queue, so the next blocks are read while earlier ones are written.
        await (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_5__.pipeline)(node_stream__WEBPACK_IMPORTED_MODULE_4__.Readable.from(counted), (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createWriteStream)(dest, { flags: 'wx', highWaterMark: WRITE_BUFFER_BYTES }));
        if (entry.type === 'file' && entry.unixfs.mode !== undefined)
            await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().chmod(dest, entry.unixfs.mode & 0o777);
        return written;
    }
    throw new Error(`${cid} is a ${entry.type} node, not a UnixFS file or folder.`);
}


/***/ })

};
