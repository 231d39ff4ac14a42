export const id = 401;
export const ids = [401];
export const modules = {

/***/ 21401:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Secrets: () => (/* binding */ Secrets),
/* harmony export */   filenameFromDisposition: () => (/* binding */ filenameFromDisposition),
/* harmony export */   isSecretParam: () => (/* reexport safe */ _spec_redact_js__WEBPACK_IMPORTED_MODULE_11__.oA),
/* harmony export */   parseContentRange: () => (/* binding */ parseContentRange),
/* harmony export */   sanitizeFilename: () => (/* binding */ sanitizeFilename),
/* harmony export */   stageHttp: () => (/* binding */ stageHttp)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_http__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(37067);
/* harmony import */ var node_http__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_http__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var node_https__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(44708);
/* harmony import */ var node_https__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(node_https__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var node_events__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(78474);
/* harmony import */ var node_events__WEBPACK_IMPORTED_MODULE_5___default = /*#__PURE__*/__webpack_require__.n(node_events__WEBPACK_IMPORTED_MODULE_5__);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(46466);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_6___default = /*#__PURE__*/__webpack_require__.n(node_stream_promises__WEBPACK_IMPORTED_MODULE_6__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_7___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_7__);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(58500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_8___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_8__);
/* harmony import */ var _spec_redact_js__WEBPACK_IMPORTED_MODULE_11__ = __webpack_require__(36850);
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(16264);
/* harmony import */ var _progress_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(12258);












const MAX_ATTEMPTS = 5;
const MAX_REDIRECTS = 10;
const BACKOFF_BASE_MS = 300;
const BACKOFF_MAX_MS = 5_000;
/** A connection that sends nothing for this long is treated like a reset. */
const IDLE_TIMEOUT_MS = 60_000;
const FALLBACK_NAME = 'download';
/** How much of the body may wait for the disk while the next chunks are read. */
const WRITE_BUFFER_BYTES = 4 * 2 ** 20;
/**
 * Downloads one URL to one file in the staging folder, as Bacalhau's URL
 * source does, but without its HEAD/Content-Length requirement, with resume
 * after a dropped connection, and with secrets in the URL kept out of the log.
 */
const stageHttp = async (request) => {
    const { source, log } = request;
    const secrets = new Secrets(log);
    const url = secrets.take(new URL(source.url));
    const label = secrets.redactUrl(url);
    const fail = (problem) => new Error(secrets.redact(`Input '${label}': ${problem}`));
    const partial = node_path__WEBPACK_IMPORTED_MODULE_7___default().join(request.stagingDir, `.partial-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(6).toString('hex')}`);
    const file = await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().open(partial, 'w');
    let download;
    try {
        download = await downloadWithRetries(url, file, { request, secrets, fail, label });
    }
    catch (error) {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().rm(partial, { force: true });
        throw error;
    }
    finally {
        await file.close().catch(() => { });
    }
    const sha256 = download.hash.digest('hex');
    if (source.checksumSha256 && sha256 !== source.checksumSha256.toLowerCase()) {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().rm(partial, { force: true });
        throw fail(`checksum mismatch: expected SHA-256 ${source.checksumSha256.toLowerCase()}, got ${sha256}; the download was deleted.`);
    }
    const hostPath = node_path__WEBPACK_IMPORTED_MODULE_7___default().join(request.stagingDir, download.filename);
    await node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default().rename(partial, hostPath);
    return {
        hostPath,
        bytes: download.bytes,
        identity: {
            scheme: 'http',
            url: label,
            finalUrl: secrets.redactUrl(download.finalUrl),
            sha256,
            filename: download.filename
        }
    };
};
/** Thrown for what another attempt may fix: a 5xx, a reset, a stall. */
class Retryable extends Error {
    retryAfterMs;
    constructor(message, retryAfterMs) {
        super(message);
        this.retryAfterMs = retryAfterMs;
    }
}
async function downloadWithRetries(url, file, context) {
    const { request, fail, secrets } = context;
    const { log } = request;
    const maxBytes = request.settings.maxInputBytes;
    let bytes = 0;
    let hash = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256');
    let filename;
    let finalUrl = url;
    // A resume is only sent when the first response offered byte ranges, and
    // If-Range makes the server answer 200 (a restart) if the file changed.
    let resumable = false;
    let validator;
    let expectedTotal;
    const progress = new _progress_js__WEBPACK_IMPORTED_MODULE_9__/* .Progress */ .k(log, (done, rate) => `${(0,_format_js__WEBPACK_IMPORTED_MODULE_10__/* .formatBytes */ .z)(done)}${expectedTotal !== undefined ? ` of ${(0,_format_js__WEBPACK_IMPORTED_MODULE_10__/* .formatBytes */ .z)(expectedTotal)}` : ''} so far (${rate})`);
    const restart = async () => {
        bytes = 0;
        hash = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256');
        await file.truncate(0);
    };
    for (let attempt = 1;; attempt++) {
        const headers = {};
        const resuming = bytes > 0 && resumable;
        if (bytes > 0 && !resumable)
            await restart();
        if (resuming) {
            headers.range = `bytes=${bytes}-`;
            if (validator)
                headers['if-range'] = validator;
        }
        try {
            const opened = await openFollowingRedirects(url, headers, context);
            const { response } = opened;
            finalUrl = opened.finalUrl;
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) {
                if (resuming && status === 206) {
                    const range = parseContentRange(response.headers['content-range']);
                    if (range?.start !== bytes) {
                        response.destroy();
                        resumable = false;
                        throw new Retryable(`the server resumed at the wrong offset (${response.headers['content-range'] ?? 'no Content-Range'})`);
                    }
                    expectedTotal ??= range.total;
                    log.info(`Resuming at ${(0,_format_js__WEBPACK_IMPORTED_MODULE_10__/* .formatBytes */ .z)(bytes)}`);
                }
                else if (status === 206) {
                    response.destroy();
                    throw fail(`the server answered 206 Partial Content to a request for the whole file.`);
                }
                else {
                    if (resuming)
                        log.info('The server sent the whole file again; restarting from zero.');
                    if (bytes > 0)
                        await restart();
                    filename = nameFor(response, finalUrl);
                    resumable = response.headers['accept-ranges']?.toLowerCase() === 'bytes';
                    validator = strongValidator(response);
                    const length = Number(response.headers['content-length']);
                    expectedTotal = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
                    if (maxBytes !== undefined && expectedTotal !== undefined && expectedTotal > maxBytes) {
                        response.destroy();
                        throw fail(`it is ${(0,_format_js__WEBPACK_IMPORTED_MODULE_10__/* .formatBytes */ .z)(expectedTotal)}, over the ${(0,_format_js__WEBPACK_IMPORTED_MODULE_10__/* .formatBytes */ .z)(maxBytes)} limit for one input.`);
                    }
                    log.info(`Downloading ${secrets.redactUrl(finalUrl)} as ${filename}${expectedTotal !== undefined ? ` (${(0,_format_js__WEBPACK_IMPORTED_MODULE_10__/* .formatBytes */ .z)(expectedTotal)})` : ''}`);
                }
                // Chunks are queued to the file while the next ones arrive; the
                // stream is always flushed before this attempt ends, so `bytes` (and
                // so a resume offset) names only bytes that are really on disk.
                // On the descriptor, not the FileHandle: a FileHandle's stream closes the handle when it ends.
                const out = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createWriteStream)('', {
                    fd: file.fd,
                    start: bytes,
                    autoClose: false,
                    emitClose: false,
                    highWaterMark: WRITE_BUFFER_BYTES
                });
                const flushed = (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_6__.finished)(out);
                // A write error (a full disk) may come while no one awaits `flushed`; it is rethrown below.
                flushed.catch(() => { });
                try {
                    for await (const chunk of response) {
                        if (maxBytes !== undefined && bytes + chunk.length > maxBytes) {
                            response.destroy();
                            throw fail(`it is over the ${(0,_format_js__WEBPACK_IMPORTED_MODULE_10__/* .formatBytes */ .z)(maxBytes)} limit for one input.`);
                        }
                        hash.update(chunk);
                        bytes += chunk.length;
                        progress.add(chunk.length);
                        if (!out.write(chunk))
                            await Promise.race([(0,node_events__WEBPACK_IMPORTED_MODULE_5__.once)(out, 'drain'), flushed]);
                    }
                }
                finally {
                    out.end();
                    await flushed;
                }
                if (expectedTotal !== undefined && bytes !== expectedTotal) {
                    throw new Retryable(`the connection closed after ${bytes} of ${expectedTotal} bytes`);
                }
                return { filename: filename ?? FALLBACK_NAME, finalUrl, bytes, hash };
            }
            response.resume();
            const reason = `${status} ${response.statusMessage ?? ''}`.trim();
            const where = finalUrl.href === url.href ? '' : ` (at ${secrets.redactUrl(finalUrl)})`;
            if (status === 416 && resuming) {
                resumable = false;
                throw new Retryable(`the server refused the range (${reason})`);
            }
            if (status >= 500 || status === 408 || status === 429) {
                throw new Retryable(`the server answered ${reason}${where}`, retryAfter(response));
            }
            throw fail(`the server answered ${reason}${where}.`);
        }
        catch (error) {
            const retry = error instanceof Retryable ? error : asRetryable(error);
            if (!retry)
                throw error instanceof Error && error.message.startsWith('Input ') ? error : fail(describe(error));
            if (attempt >= MAX_ATTEMPTS)
                throw fail(`${retry.message}; gave up after ${MAX_ATTEMPTS} attempts.`);
            const delay = Math.min(retry.retryAfterMs ?? BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
            log.info(secrets.redact(`Attempt ${attempt} failed: ${retry.message}; retrying in ${(delay / 1000).toFixed(1)} s`));
            await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_8__.setTimeout)(delay, undefined, { signal: request.signal });
        }
    }
}
/**
 * Redirects are followed here rather than by the HTTP client so that every
 * hop's URL is scrubbed of secrets before it is logged, and so that basic-auth
 * credentials are not sent on to another origin.
 */
async function openFollowingRedirects(start, headers, context) {
    const { secrets, fail, request } = context;
    let url = start;
    const auth = start.username || start.password ? basicAuth(start) : undefined;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        const sameOrigin = url.origin === start.origin;
        const response = await get(url, { ...headers, ...(auth && sameOrigin ? { authorization: auth } : {}) }, request.signal);
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (![301, 302, 303, 307, 308].includes(status) || !location)
            return { response, finalUrl: url };
        response.resume();
        let next;
        try {
            next = new URL(location, url);
        }
        catch {
            throw fail(`the server redirected to an invalid URL.`);
        }
        secrets.take(next);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
            throw fail(`the server redirected to ${next.protocol} URL, which is not HTTP.`);
        }
        request.log.debug(`Redirected (${status}) to ${secrets.redactUrl(next)}`);
        url = next;
    }
    throw fail(`more than ${MAX_REDIRECTS} redirects.`);
}
function get(url, headers, signal) {
    // node:http rather than fetch: fetch decompresses Content-Encoding, which
    // would change the file and break byte offsets for a resume.
    const client = url.protocol === 'https:' ? (node_https__WEBPACK_IMPORTED_MODULE_4___default()) : (node_http__WEBPACK_IMPORTED_MODULE_3___default());
    const target = new URL(url.href);
    target.username = '';
    target.password = '';
    return new Promise((resolve, reject) => {
        const req = client.request(target, { method: 'GET', headers: { 'user-agent': 'compute-over-data', ...headers }, signal }, resolve);
        req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Retryable(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
        req.on('error', reject);
        req.end();
    });
}
const RETRYABLE_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'EPIPE',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'ENETUNREACH',
    'EHOSTUNREACH',
    'ERR_STREAM_PREMATURE_CLOSE',
    'UND_ERR_SOCKET'
]);
function asRetryable(error) {
    const code = error.code;
    if (code && RETRYABLE_CODES.has(code))
        return new Retryable(describe(error));
    if (error instanceof Error && error.message === 'aborted')
        return new Retryable('the connection was reset');
    return undefined;
}
function describe(error) {
    const { code, message } = error;
    if (code === 'ENOTFOUND')
        return 'the host name does not resolve.';
    if (code === 'ABORT_ERR')
        return 'cancelled.';
    return `${message ?? String(error)}${code && !message?.includes(code) ? ` (${code})` : ''}`;
}
function retryAfter(response) {
    const value = response.headers['retry-after'];
    if (!value)
        return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds))
        return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
function basicAuth(url) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
/** Only a strong ETag or a Last-Modified date may be sent as If-Range. */
function strongValidator(response) {
    const etag = response.headers.etag;
    if (etag && !etag.startsWith('W/'))
        return etag;
    return response.headers['last-modified'];
}
function parseContentRange(header) {
    const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(header?.trim() ?? '');
    if (!match)
        return undefined;
    return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? undefined : Number(match[3]) };
}
function nameFor(response, finalUrl) {
    return (sanitizeFilename(filenameFromDisposition(response.headers['content-disposition'])) ??
        sanitizeFilename(lastSegment(finalUrl)) ??
        FALLBACK_NAME);
}
/** RFC 6266: `filename*` (RFC 5987, percent-encoded with a charset) wins over `filename`. */
function filenameFromDisposition(header) {
    if (!header)
        return undefined;
    const extended = /(?:^|;)\s*filename\*\s*=\s*"?([^;"]*)"?/i.exec(header);
    if (extended) {
        const match = /^([^']*)'[^']*'(.*)$/.exec(extended[1].trim());
        if (match) {
            const decoded = decodePercent(match[2], match[1].toLowerCase() === 'utf-8' ? 'utf8' : 'latin1');
            if (decoded)
                return decoded;
        }
    }
    const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(header);
    if (!plain)
        return undefined;
    return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2].trim();
}
function decodePercent(text, encoding) {
    try {
        if (encoding === 'utf8')
            return decodeURIComponent(text);
        return Buffer.from(text.replace(/%([0-9a-f]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('latin1');
    }
    catch {
        return undefined;
    }
}
/** Like Go's path.Base, as Bacalhau uses: trailing slashes do not count. */
function lastSegment(url) {
    const segment = url.pathname.replace(/\/+$/, '').split('/').pop();
    if (!segment)
        return undefined;
    return decodePercent(segment, 'utf8') ?? segment;
}
/** A server-chosen name must stay one plain file inside the staging folder. */
function sanitizeFilename(name) {
    if (!name)
        return undefined;
    const base = name.split(/[/\\]/).pop();
    // eslint-disable-next-line no-control-regex
    const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
    if (!clean || clean === '.' || clean === '..' || clean.startsWith('.partial-'))
        return undefined;
    return Buffer.byteLength(clean) > 255
        ? Buffer.from(clean)
            .subarray(0, 255)
            .toString('utf8')
            .replace(/\uFFFD+$/, '')
        : clean;
}

/**
 * Collects the secrets found in URLs, masks them in the step log before any
 * line could contain them, and scrubs them from our own messages.
 */
class Secrets {
    log;
    values = new Set();
    constructor(log) {
        this.log = log;
    }
    take(url) {
        const found = [url.username, url.password];
        for (const [name, value] of queryPairs(url))
            if ((0,_spec_redact_js__WEBPACK_IMPORTED_MODULE_11__/* .isSecretParam */ .oA)(name))
                found.push(value);
        for (const raw of found) {
            if (!raw)
                continue;
            for (const form of new Set([
                raw,
                decodePercent(raw, 'utf8') ?? raw,
                decodePercent(raw.replace(/\+/g, ' '), 'utf8') ?? raw
            ])) {
                if (form.length < 3 || this.values.has(form))
                    continue;
                this.values.add(form);
                this.log.mask(form);
            }
        }
        return url;
    }
    /** The URL with user info and secret parameter values replaced by `***`. */
    redactUrl(url) {
        const copy = new URL(url.href);
        if (copy.username)
            copy.username = '***';
        if (copy.password)
            copy.password = '***';
        const query = url.search.slice(1);
        copy.search = query
            ? query
                .split('&')
                .map((pair) => {
                const eq = pair.indexOf('=');
                const name = eq < 0 ? pair : pair.slice(0, eq);
                return eq >= 0 && (0,_spec_redact_js__WEBPACK_IMPORTED_MODULE_11__/* .isSecretParam */ .oA)(decodePercent(name, 'utf8') ?? name) ? `${name}=***` : pair;
            })
                .join('&')
            : '';
        return this.redact(copy.href);
    }
    /** Longest first, so a secret that contains another is replaced whole. */
    redact(text) {
        let out = text;
        for (const secret of [...this.values].sort((a, b) => b.length - a.length))
            out = out.split(secret).join('***');
        return out;
    }
}
function queryPairs(url) {
    const query = url.search.slice(1);
    if (!query)
        return [];
    return query.split('&').map((pair) => {
        const eq = pair.indexOf('=');
        const name = eq < 0 ? pair : pair.slice(0, eq);
        return [decodePercent(name, 'utf8') ?? name, eq < 0 ? '' : pair.slice(eq + 1)];
    });
}


/***/ }),

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


/***/ })

};
