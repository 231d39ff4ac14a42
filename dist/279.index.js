export const id = 279;
export const ids = [279];
export const modules = {

/***/ 12258:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   k: () => (/* binding */ Progress)
/* harmony export */ });
/* unused harmony export PROGRESS_INTERVAL_MS */
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(16264);

/** How often a long transfer reports, so a slow input is visibly alive. */
const PROGRESS_INTERVAL_MS = 5_000;
/**
 * Reports bytes so far and the average rate at most once per interval. It is
 * driven by the transfer itself (no timer), so nothing is left running when a
 * download fails.
 */
class Progress {
    log;
    describe;
    intervalMs;
    started = Date.now();
    lastReport = this.started;
    bytes = 0;
    constructor(log, describe, intervalMs = PROGRESS_INTERVAL_MS) {
        this.log = log;
        this.describe = describe;
        this.intervalMs = intervalMs;
    }
    add(bytes) {
        this.bytes += bytes;
        const now = Date.now();
        if (now - this.lastReport < this.intervalMs)
            return;
        this.lastReport = now;
        this.log.info(this.describe(this.bytes, `${(0,_format_js__WEBPACK_IMPORTED_MODULE_0__/* .formatBytes */ .z)(this.bytes / Math.max((now - this.started) / 1000, 0.001))}/s`));
    }
}


/***/ }),

/***/ 69279:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   downloadS3: () => (/* binding */ downloadS3),
/* harmony export */   listS3: () => (/* binding */ listS3),
/* harmony export */   localPathOf: () => (/* binding */ localPathOf),
/* harmony export */   stageS3: () => (/* binding */ stageS3)
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
/* harmony import */ var _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(53711);
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(16264);
/* harmony import */ var _progress_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(12258);









/** Enough to fill a runner's link with small objects without opening hundreds of sockets. */
const CONCURRENCY = 16;
const DEFAULT_REGION = 'us-east-1';
/** How much of an object may wait for the disk while the next chunks are read. */
const WRITE_BUFFER_BYTES = 4 * 2 ** 20;
/** A problem already worded for the user; explain() only prefixes the input. */
class Problem extends Error {
}
/**
 * Bacalhau's S3 source: one object, or every object under a prefix. Split in
 * two so that what is downloaded is exactly what was listed: each GET carries
 * the listed ETag as If-Match, and a change in between is an error.
 */
const stageS3 = async (request) => downloadS3(request, await listS3(request));
async function listS3(request) {
    const { source, log } = request;
    const client = clientFor(request);
    try {
        log.info(`Listing ${labelOf(source)} ${whereOf(request)}`);
        const listing = source.isPrefix ? await listPrefix(client, request) : await headObject(client, request);
        const total = listing.objects.reduce((sum, object) => sum + object.size, 0);
        const max = request.settings.maxInputBytes;
        if (max !== undefined && total > max) {
            throw new Problem(`${(0,_format_js__WEBPACK_IMPORTED_MODULE_6__/* .formatBytes */ .z)(total)} in ${listing.objects.length} objects, over the ${(0,_format_js__WEBPACK_IMPORTED_MODULE_6__/* .formatBytes */ .z)(max)} limit for one input.`);
        }
        log.info(`${listing.objects.length} object${listing.objects.length === 1 ? '' : 's'}, ${(0,_format_js__WEBPACK_IMPORTED_MODULE_6__/* .formatBytes */ .z)(total)}`);
        return listing;
    }
    catch (error) {
        throw explain(error, request);
    }
    finally {
        client.destroy();
    }
}
async function downloadS3(request, listing) {
    const { source, stagingDir, log } = request;
    // Checked again here because a listing may come from elsewhere than listS3.
    for (const object of listing.objects)
        safeLocalPath(stagingDir, object, source);
    const client = clientFor(request);
    const total = listing.objects.reduce((sum, object) => sum + object.size, 0);
    let done = 0;
    const progress = new _progress_js__WEBPACK_IMPORTED_MODULE_7__/* .Progress */ .k(log, (bytes, rate) => `${done}/${listing.objects.length} objects, ${(0,_format_js__WEBPACK_IMPORTED_MODULE_6__/* .formatBytes */ .z)(bytes)} of ${(0,_format_js__WEBPACK_IMPORTED_MODULE_6__/* .formatBytes */ .z)(total)} so far (${rate})`);
    // The first failure cancels the GETs still running, so the error is
    // reported at once and no partial files keep growing.
    const abort = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, abort.signal]) : abort.signal;
    const queue = [...listing.objects];
    let firstError;
    const worker = async () => {
        for (let object = queue.shift(); object && !signal.aborted; object = queue.shift()) {
            try {
                await downloadObject(client, request, object, listing.single, progress, signal);
            }
            catch (error) {
                // Only the first failure is the cause; the others are its cancellations.
                if (firstError === undefined)
                    firstError = Object.assign(error ?? {}, { objectKey: object.key });
                abort.abort();
                return;
            }
            done++;
        }
    };
    try {
        await Promise.all(Array.from({ length: Math.min(CONCURRENCY, listing.objects.length) }, worker));
        if (firstError !== undefined)
            throw firstError;
        if (request.signal?.aborted)
            throw request.signal.reason;
    }
    catch (error) {
        // The folder is this input's alone: nothing half-staged is left in it.
        await emptyFolder(stagingDir);
        throw explain(error, request);
    }
    finally {
        client.destroy();
    }
    const only = listing.objects[0];
    return {
        hostPath: listing.single && only ? node_path__WEBPACK_IMPORTED_MODULE_3___default().join(stagingDir, only.localPath) : stagingDir,
        bytes: total,
        identity: {
            scheme: 's3',
            bucket: source.bucket,
            key: source.key,
            objects: listing.objects.map(({ key, etag, versionId, size }) => ({
                key,
                etag,
                ...(versionId ? { versionId } : {}),
                size
            }))
        }
    };
}
/** Error messages name the input as the user wrote it, trailing `*` included. */
function labelOf(source) {
    const star = source.isPrefix && source.key !== '' && !source.key.endsWith('/') ? '*' : '';
    return `s3://${source.bucket}/${source.key}${star}`;
}
function endpointOf(request) {
    return request.source.endpoint ?? request.settings.s3Endpoint;
}
function regionOf(request) {
    return (request.source.region ??
        request.settings.s3Region ??
        process.env.AWS_REGION ??
        process.env.AWS_DEFAULT_REGION ??
        DEFAULT_REGION);
}
function whereOf(request) {
    const endpoint = endpointOf(request);
    return endpoint ? `at ${endpoint}` : `in ${regionOf(request)}`;
}
/**
 * Credentials come from the SDK's default chain (environment, profile, web
 * identity, instance role), as in Bacalhau; they never pass through here.
 */
function clientFor(request) {
    const endpoint = endpointOf(request);
    return new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_8__/* .S3Client */ .YxF({
        region: regionOf(request),
        // S3-compatible servers rarely serve virtual-hosted bucket names.
        ...(endpoint ? { endpoint, forcePathStyle: true } : {})
    });
}
async function headObject(client, request) {
    const { source, stagingDir } = request;
    let head;
    try {
        head = await client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_8__/* .HeadObjectCommand */ .l81({
            Bucket: source.bucket,
            Key: source.key,
            VersionId: source.versionId,
            ...(source.checksumSha256 ? { ChecksumMode: 'ENABLED' } : {})
        }), { abortSignal: request.signal });
    }
    catch (error) {
        throw await detailOfHeadError(client, request, error);
    }
    // Bacalhau's rule: a "folder object" stands for the keys under it.
    if (head.ContentType === 'application/x-directory') {
        return listPrefix(client, { ...request, source: { ...source, key: `${source.key}/`, isPrefix: true } });
    }
    // The SDK gives the full-object SHA-256 in base64 when the server stored one;
    // a mismatch is reported before anything is downloaded.
    const stored = head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-')
        ? Buffer.from(head.ChecksumSHA256, 'base64').toString('hex')
        : undefined;
    if (source.checksumSha256 && stored && stored !== source.checksumSha256) {
        throw new Problem(`checksum mismatch: expected SHA-256 ${source.checksumSha256}, the server has ${stored}.`);
    }
    const object = {
        key: source.key,
        etag: head.ETag ?? '',
        size: head.ContentLength ?? 0,
        ...(head.VersionId && head.VersionId !== 'null' ? { versionId: head.VersionId } : {}),
        localPath: node_path__WEBPACK_IMPORTED_MODULE_3___default().posix.basename(source.key)
    };
    safeLocalPath(stagingDir, object, source);
    return { single: true, objects: [object] };
}
/**
 * A HEAD error has no body, so S3 cannot say which of bucket, key or
 * signature was wrong; one ranged GET of the same object gets the coded error.
 */
async function detailOfHeadError(client, request, error) {
    const status = error.$metadata?.httpStatusCode;
    if (status !== 400 && status !== 403 && status !== 404)
        return error;
    try {
        const probe = await client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_8__/* .GetObjectCommand */ .jLs({
            Bucket: request.source.bucket,
            Key: request.source.key,
            VersionId: request.source.versionId,
            Range: 'bytes=0-0'
        }), { abortSignal: request.signal });
        probe.Body?.destroy();
    }
    catch (detailed) {
        return detailed;
    }
    return error;
}
async function listPrefix(client, request) {
    const { source, stagingDir, log } = request;
    const filter = source.filter !== undefined ? new RegExp(source.filter) : undefined;
    const objects = [];
    let skippedByFilter = 0;
    let token;
    do {
        const page = await client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_8__/* .ListObjectsV2Command */ .u6x({ Bucket: source.bucket, Prefix: source.key, ContinuationToken: token }), { abortSignal: request.signal });
        for (const item of page.Contents ?? []) {
            const key = item.Key;
            if (key === undefined)
                continue;
            if (key.endsWith('/')) {
                if ((item.Size ?? 0) > 0)
                    log.warning(`Skipping ${key}: a key ending in / cannot be a file.`);
                continue;
            }
            if (filter && !filter.test(key.slice(source.key.length))) {
                skippedByFilter++;
                continue;
            }
            const object = {
                key,
                etag: item.ETag ?? '',
                size: item.Size ?? 0,
                localPath: localPathOf(key, source.key)
            };
            safeLocalPath(stagingDir, object, source);
            objects.push(object);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (objects.length === 0) {
        throw new Problem(skippedByFilter > 0
            ? `none of the ${skippedByFilter} objects under the prefix matches the filter ${source.filter}.`
            : `no objects under this prefix in bucket "${source.bucket}".`);
    }
    checkCollisions(objects);
    return { single: false, objects };
}
/**
 * Keys land relative to the prefix's directory part, as in Bacalhau: for
 * `data/` that is `data/` itself (`data/x/y.csv` → `x/y.csv`); for `da*` it is
 * the bucket root (`data/x.csv` → `data/x.csv`), since cutting `da` out of the
 * middle of a name would invent names that exist nowhere.
 */
function localPathOf(key, prefix) {
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    return key.slice(base.length);
}
/** A key is just a string: `..` segments must not walk out of the staging folder. */
function safeLocalPath(stagingDir, object, source) {
    const segments = object.localPath.split('/');
    const full = node_path__WEBPACK_IMPORTED_MODULE_3___default().resolve(stagingDir, ...segments);
    const relative = node_path__WEBPACK_IMPORTED_MODULE_3___default().relative(stagingDir, full);
    if (segments.includes('..') || !relative || relative.startsWith('..') || node_path__WEBPACK_IMPORTED_MODULE_3___default().isAbsolute(relative)) {
        throw new Error(`Input '${labelOf(source)}': the key "${object.key}" would be written outside the input folder; such keys are refused.`);
    }
    return full;
}
/** Two keys such as `a//b` and `a/b`, or `a` and `a/b`, cannot both be files. */
function checkCollisions(objects) {
    const files = new Map();
    for (const object of objects) {
        const normal = node_path__WEBPACK_IMPORTED_MODULE_3___default().posix.normalize(object.localPath).replace(/^\/+/, '');
        const other = files.get(normal);
        if (other !== undefined)
            throw new Problem(`the keys "${other}" and "${object.key}" would be the same file.`);
        files.set(normal, object.key);
    }
    for (const [normal, key] of files) {
        for (let dir = node_path__WEBPACK_IMPORTED_MODULE_3___default().posix.dirname(normal); dir !== '.' && dir !== '/'; dir = node_path__WEBPACK_IMPORTED_MODULE_3___default().posix.dirname(dir)) {
            const other = files.get(dir);
            if (other !== undefined)
                throw new Problem(`the key "${other}" is a file but "${key}" needs it to be a folder.`);
        }
    }
}
async function downloadObject(client, request, object, single, progress, signal) {
    const { source, stagingDir } = request;
    const file = safeLocalPath(stagingDir, object, source);
    await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().mkdir(node_path__WEBPACK_IMPORTED_MODULE_3___default().dirname(file), { recursive: true });
    const response = await client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_8__/* .GetObjectCommand */ .jLs({
        Bucket: source.bucket,
        Key: object.key,
        VersionId: object.versionId,
        ...(object.etag ? { IfMatch: object.etag } : {})
    }), { abortSignal: signal });
    const body = response.Body;
    if (!body)
        throw new Problem(`the server sent no body for "${object.key}".`);
    const hash = single && source.checksumSha256 ? (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256') : undefined;
    let bytes = 0;
    const count = new node_stream__WEBPACK_IMPORTED_MODULE_4__.Transform({
        transform(chunk, _encoding, callback) {
            bytes += chunk.length;
            hash?.update(chunk);
            progress.add(chunk.length);
            callback(null, chunk);
        }
    });
    // A deep write queue: with the default 16 KiB every chunk waited for its write before the next was read.
    await (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_5__.pipeline)(body, count, (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createWriteStream)(file, { highWaterMark: WRITE_BUFFER_BYTES }), { signal });
    if (bytes !== object.size) {
        throw new Problem(`"${object.key}" was ${bytes} bytes, not the ${object.size} listed; it changed while being staged. Run again.`);
    }
    const sha256 = hash?.digest('hex');
    if (sha256 && sha256 !== source.checksumSha256) {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().rm(file, { force: true });
        throw new Problem(`checksum mismatch: expected SHA-256 ${source.checksumSha256}, got ${sha256}; the download was deleted.`);
    }
}
async function emptyFolder(folder) {
    for (const entry of await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().readdir(folder).catch(() => [])) {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().rm(node_path__WEBPACK_IMPORTED_MODULE_3___default().join(folder, entry), { recursive: true, force: true });
    }
}
/** Turns an SDK error into one line naming the input; credentials never appear. */
function explain(error, request) {
    const label = labelOf(request.source);
    const e = (error ?? {});
    const message = e.message ?? String(error);
    if (message.startsWith('Input '))
        return error;
    if (error instanceof Problem)
        return new Error(`Input '${label}': ${message}`);
    const code = e.Code ?? e.name ?? '';
    const status = e.$metadata?.httpStatusCode;
    const { bucket, versionId } = request.source;
    const key = e.objectKey ?? request.source.key;
    const endpoint = endpointOf(request);
    const problem = (() => {
        switch (code) {
            case 'NoSuchBucket':
                return `the bucket "${bucket}" does not exist ${whereOf(request)}.`;
            case 'NoSuchKey':
            case 'NotFound':
                return `no object "${key}" in bucket "${bucket}".`;
            case 'NoSuchVersion':
                return `object "${key}" has no version "${versionId}".`;
            case 'SignatureDoesNotMatch':
            case 'InvalidAccessKeyId':
            case 'InvalidClientTokenId':
            case 'InvalidToken':
            case 'ExpiredToken':
                return `the S3 server refused the credentials (${code}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the role the runner uses).`;
            case 'AccessDenied':
                return `access denied (403) by the S3 server; the credentials in use may not read this bucket.`;
            case 'PreconditionFailed':
                return `the object "${key}" changed while the input was being staged (its ETag no longer matches the listing); run again.`;
            case 'CredentialsProviderError':
                return `no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a role.`;
            case 'AbortError':
                return 'cancelled.';
        }
        // Inside some sandboxes (Jest's vm) the SDK wraps a socket error, so the
        // code may only survive in the message.
        const network = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|TimeoutError)$/;
        const errno = [
            e.code,
            e.cause?.code,
            ...(message.match(/\b[A-Z_]{5,}\b/g) ?? [])
        ].find((candidate) => candidate !== undefined && network.test(candidate));
        if (errno) {
            return `cannot reach the S3 endpoint ${endpoint ?? `for region ${regionOf(request)}`} (${errno}).`;
        }
        if (status === 301 || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed') {
            return `the bucket "${bucket}" is in another region (${code || status}); set opt=region=... or s3-region.`;
        }
        return `${code || 'S3 error'}${status ? ` (HTTP ${status})` : ''}: ${message}`;
    })();
    return new Error(`Input '${label}': ${problem}`);
}


/***/ })

};
