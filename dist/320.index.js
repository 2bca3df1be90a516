export const id = 320;
export const ids = [320];
export const modules = {

/***/ 1320:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   aieev: () => (/* binding */ aieev)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3916);
/* harmony import */ var _diff_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9952);
/* harmony import */ var _validate_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(397);
/* harmony import */ var _provider_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9545);
/**
 * Aieev container endpoints (providers.md §4): `PATCH …/endpoints/{id}` with the settings. A
 * successful PATCH leaves the endpoint inactive, so unless `restart: false` deploy-patch starts
 * it (`POST …/start`) and reads `GET …/endpoints/{id}` until it is active, RUNNING and no replica
 * is STARTING. The wait is bounded by `timeout` and by the endpoint's own health_check_timeout
 * plus a margin, after which Aieev itself calls the deploy failed.
 * Every env var value is a secret: masked before anything is logged and shown as `***`.
 */




const DEFAULT_ORIGIN = 'https://external.aieev.cloud:5007';
const API_PREFIX = '/external/api/v1';
const FIELDS = [
    'container_start_command',
    'container_env_vars',
    'container_port',
    'container_health_check_path',
    'container_health_check_timeout',
    'health_check_timeout',
    'container_metric_path',
];
/** Added to health_check_timeout: Aieev needs a moment to report the failure it decided on. */
const WAIT_MARGIN_MS = 60_000;
const aieev = {
    name: 'aieev',
    volatile: ['updated_at', 'replica_status_summary', 'num_replicas'],
    baseUrl(settings) {
        return (0,_provider_js__WEBPACK_IMPORTED_MODULE_1__/* .apiBase */ .av)(settings.baseUrl ?? new URL(DEFAULT_ORIGIN), API_PREFIX);
    },
    checkInputs(settings) {
        const problems = [];
        if (!settings.credentials.token)
            problems.push({ path: [], input: 'token', message: "Input 'token' is required for aieev: an API key from the project's API keys menu, passed from a secret." });
        if (settings.targets.length === 0)
            problems.push({ path: [], input: 'target', message: "Input 'target' is required for aieev: the endpoint id." });
        return problems;
    },
    checkTarget(target) {
        return /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(target) ? undefined : `'${target}' is not an Aieev endpoint id; expected letters, digits, '-' and '_' (such as a UUID).`;
    },
    validate(payload) {
        const p = new _validate_js__WEBPACK_IMPORTED_MODULE_2__/* .Problems */ .Z();
        p.knownKeys(payload, [], FIELDS, { endpoint_id: "the id is the 'target' input, not a payload field.", is_active: "read-only; deploy-patch starts the endpoint itself (see 'restart').", name: 'read-only; remove it.' });
        if (!FIELDS.some((field) => payload[field] !== undefined && payload[field] !== null))
            p.add([], `the payload sets no field; set at least one of ${FIELDS.join(', ')}.`);
        const optional = (field, check) => {
            if (payload[field] !== undefined && payload[field] !== null)
                check(payload[field]);
        };
        optional('container_start_command', (v) => p.string(v, ['container_start_command'], { min: 1 }));
        optional('container_port', (v) => p.integer(v, ['container_port'], { min: 1, max: 65535 }));
        optional('container_health_check_timeout', (v) => p.integer(v, ['container_health_check_timeout'], { min: 1 }));
        optional('health_check_timeout', (v) => p.integer(v, ['health_check_timeout'], { min: 1 }));
        for (const field of ['container_health_check_path', 'container_metric_path']) {
            optional(field, (v) => {
                if (p.string(v, [field], { min: 1 }) && !v.startsWith('/'))
                    p.add([field], `'${v}' must start with '/', such as /healthz.`);
            });
        }
        optional('container_env_vars', (v) => {
            const keys = new Map();
            p.array(v, ['container_env_vars'])?.forEach((entry, i) => {
                const object = p.object(entry, ['container_env_vars', i], 'an object {key, value}');
                if (!object)
                    return;
                p.knownKeys(object, ['container_env_vars', i], ['key', 'value']);
                if (p.string(object.key, ['container_env_vars', i, 'key'], { min: 1 })) {
                    if (keys.has(object.key))
                        p.add(['container_env_vars', i, 'key'], `the key '${object.key}' is also set at $.container_env_vars[${keys.get(object.key)}]; set each variable once.`);
                    keys.set(object.key, i);
                }
                // The value's own text never goes into a message: it is a secret.
                if (typeof object.value !== 'string')
                    p.add(['container_env_vars', i, 'value'], `expected the value as a string${object.value === undefined ? ', got nothing' : ' (quote it)'}.`);
            });
        });
        return p.list;
    },
    secretsIn(payload) {
        const vars = Array.isArray(payload.container_env_vars) ? payload.container_env_vars : [];
        return vars.flatMap((entry) => ((0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(entry) && entry.value !== undefined && entry.value !== null ? [String(entry.value)] : []));
    },
    redact(value) {
        if (!(0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(value) || !Array.isArray(value.container_env_vars))
            return value;
        return { ...value, container_env_vars: value.container_env_vars.map((entry) => ((0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(entry) ? { ...entry, value: '***' } : entry)) };
    },
    authorize: _provider_js__WEBPACK_IMPORTED_MODULE_1__/* .bearerAuth */ .iJ,
    parseError(status, body, text) {
        if ((0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(body) && typeof body.detail === 'string')
            return { type: `http-${status}`, message: body.detail };
        if ((0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(body) && Array.isArray(body.detail)) {
            const parts = body.detail.map((item) => {
                if (!(0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(item))
                    return JSON.stringify(item);
                const where = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body').join('.') : '';
                return `${where ? `${where}: ` : ''}${String(item.msg ?? '')}`;
            });
            const first = body.detail[0];
            return { type: (0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(first) && typeof first.type === 'string' ? first.type : 'validation_error', message: parts.join('; ') };
        }
        // A gateway's HTML or plain text: its words, without markup.
        const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
        return { type: `http-${status}`, message: plain.slice(0, 200) };
    },
    advise(error, target) {
        switch (error.httpStatus) {
            case 401:
                return "Aieev refused the API key: create a new one in the project's API keys menu and update the secret passed as 'token'.";
            case 403:
                return `The API key may not change endpoint ${target}: use a key of the project that owns it.`;
            case 404:
                return `No endpoint ${target}: check 'target' (the endpoint id) and that the key belongs to its project.`;
            case 400:
            case 422:
                return 'Aieev refused the settings: fix the field it names in the payload and run again.';
            default:
                return undefined;
        }
    },
    async read(ctx, target) {
        return getEndpoint(ctx, target);
    },
    async update(ctx, target, payload, before) {
        const patch = await ctx.client.request({ method: 'PATCH', path: endpointPath(target), body: payload, replay: 'safe', what: 'save the endpoint settings' });
        const saved = { ...before, ...patch.json };
        const result = { httpStatus: patch.status, requestId: patch.requestId };
        if (!ctx.settings.restart) {
            // The PATCH answer has the settings but not the state: read the state it left.
            const after = { ...saved, ...(await getEndpoint(ctx, target)) };
            return {
                ...result,
                resource: after,
                providerStatus: statusOf(after) ?? 'inactive',
                pending: false,
                notes: ["The endpoint is inactive: saving settings stops it, and 'restart' is false, so it was not started. Start it from the Aieev console (or run again with restart: true) before it serves again."],
            };
        }
        try {
            // Starting twice is harmless: an endpoint already started answers 409, which means "started".
            await ctx.client.request({ method: 'POST', path: `${endpointPath(target)}/start`, replay: 'safe', what: 'start the endpoint' });
        }
        catch (error) {
            if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ApiError */ .hD && error.httpStatus === 409)
                ctx.log.info('The endpoint was already starting.');
            else if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ApiError */ .hD && (error.httpStatus === 404 || error.httpStatus === 405)) {
                error.message = `The settings were saved, but the endpoint could not be started: the start call answered HTTP ${error.httpStatus}, so this Aieev API has no start operation. The endpoint is inactive: start it from the Aieev console, or run with restart: false to only save settings.`;
                throw error;
            }
            else
                throw error;
        }
        const healthCheckSeconds = Number(saved.health_check_timeout);
        return {
            ...result,
            resource: saved,
            providerStatus: 'STARTING',
            pending: true,
            maxWaitMs: Number.isFinite(healthCheckSeconds) && healthCheckSeconds > 0 ? healthCheckSeconds * 1_000 + WAIT_MARGIN_MS : undefined,
        };
    },
    async poll(ctx, target, last) {
        const endpoint = { ...last.resource, ...(await getEndpoint(ctx, target)) };
        const status = String(endpoint.status ?? 'unknown');
        const starting = (0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(endpoint.replica_status_summary) ? Number(endpoint.replica_status_summary.STARTING ?? 0) : 0;
        if (/FAIL/i.test(status) || status === 'UNHEALTHY') {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .DeployFailedError */ .P2(`The endpoint did not come up: its status is ${status}. The settings were saved; check the container's start command, port and health check path in the Aieev console, fix the payload, and run again.`, status, endpoint);
        }
        const serving = endpoint.is_active === true && status === 'RUNNING' && starting === 0;
        return serving ? { state: 'done', providerStatus: status, value: endpoint } : { state: 'pending', providerStatus: starting > 0 ? `${status} (${starting} starting)` : status, value: endpoint };
    },
    changes(before, after, payload) {
        // The documented GET has no settings; where the GET before lacked one, only a setting that was sent can have changed.
        const known = (0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(before) ? before : {};
        return (0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .diff */ .Ui)(before, after, this.volatile).filter((change) => {
            const field = String(change.segments[0]);
            return !FIELDS.includes(field) || Object.hasOwn(known, field) || Object.hasOwn(payload, field);
        });
    },
    preview(before, payload) {
        return { ...((0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(before) ? before : {}), ...payload, is_active: false };
    },
    describeRequest(ctx, target, payload) {
        return { method: 'PATCH', url: ctx.client.url(endpointPath(target)).href, headers: { authorization: 'Bearer ***', 'content-type': 'application/json' }, body: payload };
    },
    consoleUrl(_target, _settings, resource) {
        // The endpoint's own serving address: where the deployed container answers.
        return (0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(resource) && typeof resource.serving_endpoint_url === 'string' && /^https:\/\//.test(resource.serving_endpoint_url) ? resource.serving_endpoint_url : undefined;
    },
    statusOf,
    notes(resource) {
        return (0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(resource) && resource.is_active === false && resource.status !== undefined && resource.status !== 'STOPPED' ? [`The endpoint is inactive (status ${String(resource.status)}).`] : [];
    },
};
function endpointPath(target) {
    return `/endpoints/${encodeURIComponent(target)}`;
}
async function getEndpoint(ctx, target) {
    const response = await ctx.client.request({ method: 'GET', path: endpointPath(target), replay: 'safe', what: 'read the endpoint' });
    return (0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(response.json) ? response.json : {};
}
function statusOf(resource) {
    if (!(0,_diff_js__WEBPACK_IMPORTED_MODULE_3__/* .isPlainObject */ .Qd)(resource))
        return undefined;
    if (typeof resource.status === 'string')
        return resource.status;
    return resource.is_active === false ? 'inactive' : undefined;
}


/***/ }),

/***/ 397:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Z: () => (/* binding */ Problems)
/* harmony export */ });
/* unused harmony export describe */
/* harmony import */ var _diff_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9952);

/** Collects every problem of one payload, so they are all reported at once. */
class Problems {
    list = [];
    add(path, message) {
        this.list.push({ path, message });
    }
    /** `value` must be an object; returns it, or undefined after adding a problem. */
    object(value, path, what = 'an object') {
        if ((0,_diff_js__WEBPACK_IMPORTED_MODULE_0__/* .isPlainObject */ .Qd)(value))
            return value;
        this.add(path, `expected ${what}, got ${describe(value)}.`);
        return undefined;
    }
    /** Every key of `object` must be in `known`; `hints` explain keys users often send by mistake. */
    knownKeys(object, path, known, hints = {}) {
        for (const key of Object.keys(object)) {
            if (known.includes(key))
                continue;
            const hint = hints[key] ?? (closest(key, known) ? `did you mean '${closest(key, known)}'?` : `known fields: ${known.join(', ')}.`);
            this.add([...path, key], `unknown field '${key}'; ${hint}`);
        }
    }
    /** A string of min–max characters (Unicode code points). */
    string(value, path, limits = {}) {
        if (typeof value !== 'string') {
            this.add(path, `expected a string, got ${describe(value)}.`);
            return false;
        }
        const length = [...value].length;
        const { min = 0, max = Infinity } = limits;
        if (length < min || length > max) {
            this.add(path, `expected ${min === 1 && max === Infinity ? 'a non-empty string' : `${rangeText(min, max)} characters`}, got ${length}.`);
            return false;
        }
        return true;
    }
    /** A whole number in [min, max]; with `numericString`, "42" is accepted too. */
    integer(value, path, limits = {}) {
        const { min = -Infinity, max = Infinity } = limits;
        const number = typeof value === 'number' ? value : limits.numericString && typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
        if (!Number.isSafeInteger(number)) {
            this.add(path, `expected a whole number${limits.numericString ? ' (or a string of digits)' : ''}, got ${describe(value)}.`);
            return undefined;
        }
        if (number < min || number > max) {
            this.add(path, `expected a whole number ${rangeText(min, max)}, got ${number}.`);
            return undefined;
        }
        return number;
    }
    boolean(value, path) {
        if (typeof value === 'boolean')
            return true;
        this.add(path, `expected true or false, got ${describe(value)}.`);
        return false;
    }
    /** A list of min–max items; returns it, or undefined after adding a problem. */
    array(value, path, limits = {}) {
        if (!Array.isArray(value)) {
            this.add(path, `expected a list, got ${describe(value)}.`);
            return undefined;
        }
        const { min = 0, max = Infinity } = limits;
        if (value.length < min || value.length > max) {
            this.add(path, `expected ${rangeText(min, max)} items, got ${value.length}.`);
            return undefined;
        }
        return value;
    }
    /** One of a fixed set of values. */
    oneOf(value, path, allowed) {
        if (typeof value === 'string' && allowed.includes(value))
            return true;
        this.add(path, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}.`);
        return false;
    }
}
/** `a string of 300 characters`, `the number 7`, `a list`, `null` — for "got …" in messages. */
function describe(value) {
    if (value === null)
        return 'null';
    if (value === undefined)
        return 'nothing';
    if (Array.isArray(value))
        return `a list of ${value.length}`;
    if (typeof value === 'string')
        return value.length > 40 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`;
    if (typeof value === 'number')
        return `the number ${value}`;
    if (typeof value === 'boolean')
        return `${value}`;
    return 'an object';
}
function rangeText(min, max) {
    if (max === Infinity)
        return `at least ${min}`;
    if (min === -Infinity || min === 0)
        return min === 0 && max !== Infinity ? `0 to ${max}` : `at most ${max}`;
    if (min === max)
        return `exactly ${min}`;
    return `${min} to ${max}`;
}
/** The known name within two edits of `key`, if any: a likely typo. */
function closest(key, known) {
    let best;
    let bestDistance = 3;
    for (const candidate of known) {
        const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best;
}
function editDistance(a, b) {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let previous = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const current = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
            previous = current;
        }
    }
    return row[b.length];
}


/***/ })

};
