export const id = 895;
export const ids = [895];
export const modules = {

/***/ 25895:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   publishArtifact: () => (/* binding */ publishArtifact)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _actions_artifact__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9645);
/* harmony import */ var _results_names_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(78022);





// The client refuses the whole upload when any path holds one of these, as
// the artifact service does (they cannot exist on NTFS).
const REFUSED_CHARACTERS = ['"', ':', '<', '>', '|', '*', '?', '\r', '\n'];
const MAX_SKIP_WARNINGS = 20;
/**
 * Uploads the results folder, with its own layout at the zip root, plus
 * `extraFiles` (e.g. manifest.json) beside it, as one workflow artifact.
 *
 * `@actions/artifact` takes a list of files under one root folder and
 * follows every symlink it is given. So the upload root is a scratch folder
 * that mirrors the results' folders and holds one symlink per regular file,
 * each made here and pointing at a file checked to lie inside the results
 * folder: nothing is copied, and a link the container wrote (say to
 * /etc/passwd) is never handed to the client.
 */
async function publishArtifact(context, settings, extraFiles) {
    const name = settings.name;
    if (!name) {
        throw new Error('Artifact upload: no artifact name was given; an empty artifact-name disables the artifact.');
    }
    try {
        return await upload(name, context, settings, extraFiles);
    }
    catch (error) {
        throw new Error(`Artifact upload '${name}': ${error.message}`, { cause: error });
    }
}
async function upload(name, context, settings, extraFiles) {
    const { log } = context;
    for (const variable of ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL']) {
        if (!process.env[variable]) {
            throw new Error(`${variable} is not set. The runner provides it to JavaScript actions only; outside a workflow set artifact-name to '' to skip the artifact.`);
        }
    }
    const plan = await planResults(context.resultsDir, name, log);
    await addExtraFiles(plan, extraFiles);
    checkPaths(plan);
    const client = new _actions_artifact__WEBPACK_IMPORTED_MODULE_3__/* .DefaultArtifactClient */ .t9();
    await makeRoomForName(client, name, settings.overwrite, log);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)(context.workDir, { recursive: true });
    const root = node_path__WEBPACK_IMPORTED_MODULE_2___default().resolve(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdtemp)(node_path__WEBPACK_IMPORTED_MODULE_2___default().join(context.workDir, 'artifact-')));
    try {
        const files = await stage(root, plan);
        const bytes = plan.files.reduce((sum, file) => sum + file.size, 0);
        log.info(`Uploading ${plan.files.length} files (${bytes} bytes before compression) as artifact '${name}'`);
        const options = {};
        if (settings.retentionDays !== undefined)
            options.retentionDays = settings.retentionDays;
        if (settings.compressionLevel !== undefined)
            options.compressionLevel = settings.compressionLevel;
        const result = await client.uploadArtifact(name, files, root, options);
        if (result.id === undefined)
            throw new Error('the artifact service returned no artifact id.');
        const outputs = { 'artifact-id': String(result.id) };
        if (result.digest)
            outputs['artifact-digest'] = result.digest;
        const url = artifactUrl(result.id);
        if (url)
            outputs['artifact-url'] = url;
        else
            log.debug('GITHUB_REPOSITORY or GITHUB_RUN_ID is not set, so there is no artifact-url.');
        log.info(`Artifact '${name}' uploaded: id ${result.id}, ${result.size ?? 0} bytes, sha256 ${result.digest ?? 'unknown'}`);
        return { publisher: 'artifact', outputs };
    }
    finally {
        // Removes only the links and folders made above, never what they point at.
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(root, { recursive: true, force: true });
    }
}
/**
 * Walks the results folder without following links. A link is kept (as the
 * bytes of its target) only when it resolves to a regular file inside the
 * results folder; anything else that is not a file or folder is skipped with
 * a warning, since reading a FIFO or device could hang or never end.
 */
async function planResults(resultsDir, name, log) {
    const base = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.realpath)(resultsDir);
    const plan = { files: [], dirs: [] };
    const unreadable = [];
    let skipped = 0;
    // A container can make thousands of links; the log names the first few.
    const skip = (entry, why) => {
        if (++skipped <= MAX_SKIP_WARNINGS)
            log.warning(`Artifact '${name}': ${entry} is left out: ${why}.`);
    };
    const notUtf8 = [];
    const walk = async (rel) => {
        // Read as bytes: as strings, a name that is not UTF-8 would come back mangled and name no file.
        const names = [];
        for (const raw of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(rel ? node_path__WEBPACK_IMPORTED_MODULE_2___default().join(base, rel) : base, { encoding: 'buffer' })) {
            if ((0,_results_names_js__WEBPACK_IMPORTED_MODULE_4__/* .isUtf8 */ .c)(raw))
                names.push(raw.toString('utf8'));
            else
                notUtf8.push(rel ? `${rel}/${(0,_results_names_js__WEBPACK_IMPORTED_MODULE_4__/* .nameForPeople */ .G)(raw)}` : (0,_results_names_js__WEBPACK_IMPORTED_MODULE_4__/* .nameForPeople */ .G)(raw));
        }
        names.sort();
        for (const child of names) {
            const entry = rel ? `${rel}/${child}` : child;
            const source = node_path__WEBPACK_IMPORTED_MODULE_2___default().join(base, entry);
            const stats = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(source);
            if (stats.isDirectory()) {
                plan.dirs.push(entry);
                await walk(entry);
            }
            else if (stats.isFile()) {
                plan.files.push({ entry, source, size: stats.size });
            }
            else if (stats.isSymbolicLink()) {
                const target = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.realpath)(source).catch(() => undefined);
                const link = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readlink)(source);
                if (!target)
                    skip(entry, `a symbolic link to ${link}, which does not exist`);
                else if (!isInside(base, target))
                    skip(entry, `a symbolic link to ${link}, outside the results folder`);
                else {
                    const targetStats = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(target);
                    if (targetStats.isFile())
                        plan.files.push({ entry, source: target, size: targetStats.size });
                    else
                        skip(entry, `a symbolic link to ${link}, which is not a regular file`);
                }
            }
            else {
                skip(entry, 'not a regular file, folder or link (a FIFO, socket or device)');
            }
        }
    };
    await walk('');
    if (notUtf8.length > 0) {
        throw new Error(`${describe(notUtf8)} in the results ${notUtf8.length === 1 ? 'is not a valid UTF-8 name' : 'are not valid UTF-8 names'}; artifact paths are UTF-8, so rename ${notUtf8.length === 1 ? 'it' : 'them'} in the container, or set artifact-name to '' to skip the artifact.`);
    }
    if (skipped > MAX_SKIP_WARNINGS) {
        log.warning(`Artifact '${name}': ${skipped - MAX_SKIP_WARNINGS} more links or special files are left out too.`);
    }
    for (const file of plan.files) {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.access)(file.source, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.R_OK).catch(() => unreadable.push(file.entry));
    }
    if (unreadable.length > 0) {
        throw new Error(`the runner cannot read ${describe(unreadable)} in the results folder. The container wrote them unreadable to the runner's user; run it as that user (leave 'user' empty) or make them readable.`);
    }
    return plan;
}
/** Extra files go to the zip root; they must not shadow an entry of the results. */
async function addExtraFiles(plan, extraFiles) {
    const taken = new Set([...plan.files.map((f) => f.entry), ...plan.dirs].map((entry) => entry.split('/')[0]));
    for (const file of extraFiles) {
        const entry = node_path__WEBPACK_IMPORTED_MODULE_2___default().basename(file);
        if (taken.has(entry)) {
            throw new Error(`${entry} would be written twice at the root of the artifact: the results folder holds an entry of that name too.`);
        }
        const source = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.realpath)(file);
        const stats = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(source);
        if (!stats.isFile())
            throw new Error(`${file} is not a regular file.`);
        plan.files.push({ entry, source, size: stats.size });
        taken.add(entry);
    }
}
function checkPaths(plan) {
    const refused = [...plan.dirs, ...plan.files.map((f) => f.entry)].filter((entry) => REFUSED_CHARACTERS.some((c) => entry.includes(c)));
    if (refused.length > 0) {
        throw new Error(`${describe(refused.map((e) => JSON.stringify(e)))} in the results contain characters artifacts refuse (" : < > | * ? and line breaks). Rename them in the container, or set artifact-name to '' to skip the artifact.`);
    }
}
/** Artifact names are unique per workflow run; a clash is only resolved when asked to. */
async function makeRoomForName(client, name, overwrite, log) {
    let existing;
    try {
        existing = (await client.getArtifact(name)).artifact;
    }
    catch (error) {
        if (!(error instanceof _actions_artifact__WEBPACK_IMPORTED_MODULE_3__/* .ArtifactNotFoundError */ .CL))
            throw error;
    }
    if (!existing)
        return;
    if (!overwrite) {
        throw new Error(`an artifact of this name already exists in this workflow run (id ${existing.id}). Set the input 'artifact-overwrite' to true to replace it, or choose another 'artifact-name'.`);
    }
    try {
        await client.deleteArtifact(name);
        log.info(`Deleted the earlier artifact '${name}' (id ${existing.id}) to replace it`);
    }
    catch (error) {
        // Gone in the meantime (another job replaced it): the name is free.
        if (!(error instanceof _actions_artifact__WEBPACK_IMPORTED_MODULE_3__/* .ArtifactNotFoundError */ .CL))
            throw error;
    }
}
/** Builds the upload root and returns the paths the client is to zip. */
async function stage(root, plan) {
    for (const dir of plan.dirs)
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)(node_path__WEBPACK_IMPORTED_MODULE_2___default().join(root, dir));
    const files = [];
    for (const file of plan.files) {
        const link = node_path__WEBPACK_IMPORTED_MODULE_2___default().join(root, file.entry);
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.symlink)(file.source, link);
        files.push(link);
    }
    // The client adds a listed folder as an entry named by its path; only a
    // trailing slash makes that entry a folder rather than an empty file.
    // Folders come first, each before what it holds, as zip tools expect.
    return [...plan.dirs.map((dir) => `${node_path__WEBPACK_IMPORTED_MODULE_2___default().join(root, dir)}/`), ...files];
}
function artifactUrl(id) {
    const { GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = process.env;
    if (!repository || !runId)
        return undefined;
    const server = (process.env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    return `${server}/${repository}/actions/runs/${runId}/artifacts/${id}`;
}
function isInside(base, target) {
    return target === base || target.startsWith(base.endsWith((node_path__WEBPACK_IMPORTED_MODULE_2___default().sep)) ? base : base + (node_path__WEBPACK_IMPORTED_MODULE_2___default().sep));
}
function describe(entries) {
    const shown = entries.slice(0, 5).join(', ');
    return entries.length > 5 ? `${shown} and ${entries.length - 5} more` : shown;
}


/***/ })

};
