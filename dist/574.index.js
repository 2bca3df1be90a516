export const id = 574;
export const ids = [574];
export const modules = {

/***/ 6574:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  huaweicloudRts: () => (/* binding */ huaweicloudRts)
});

// EXTERNAL MODULE: ./src/http/client.ts
var client = __webpack_require__(3329);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/diff.ts
var diff = __webpack_require__(9952);
// EXTERNAL MODULE: ./src/validate.ts
var validate = __webpack_require__(397);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./src/providers/huaweicloud-sign.ts
/**
 * Huawei Cloud API signing, `SDK-HMAC-SHA256` (providers.md §3.5, from Huawei's published
 * algorithm): a canonical request of method, URI (every segment RFC 3986-encoded, always
 * ending in `/` for signing only), sorted query, signed headers and body hash; a string to sign
 * with the `X-Sdk-Date`; the HMAC-SHA256 of it with the secret key.
 */

const ALGORITHM = 'SDK-HMAC-SHA256';
/** `YYYYMMDDTHHMMSSZ` in UTC, the form of `X-Sdk-Date`. */
function sdkDate(date) {
    return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
/** RFC 3986 percent-encoding: everything but `A-Z a-z 0-9 - _ . ~`, with upper-case hex. */
function encodeRfc3986(text) {
    return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
/** The path with each segment decoded and re-encoded per RFC 3986, always ending in `/`. */
function canonicalUri(url) {
    const path = url.pathname
        .split('/')
        .map((segment) => encodeRfc3986(decodeURIComponent(segment)))
        .join('/');
    return path.endsWith('/') ? path : `${path}/`;
}
/** Query pairs sorted by name, then value (by UTF-8 bytes), each RFC 3986-encoded, joined with `&`. */
function canonicalQuery(url) {
    const pairs = [...url.searchParams.entries()].map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)]);
    const byBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    pairs.sort((a, b) => byBytes(a[0], b[0]) || byBytes(a[1], b[1]));
    return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}
function headerValue(headers, name) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    if (key === undefined)
        throw new Error(`cannot sign: the request has no '${name}' header`);
    return headers[key].trim();
}
/** The canonical request for `signedHeaders` (lower-case names). */
function canonicalRequest(request, signedHeaders) {
    const names = [...signedHeaders].sort();
    const bodyHash = Object.keys(request.headers).some((k) => k.toLowerCase() === 'x-sdk-content-sha256')
        ? headerValue(request.headers, 'x-sdk-content-sha256')
        : (0,external_node_crypto_.createHash)('sha256').update(request.body).digest('hex');
    return [
        request.method.toUpperCase(),
        canonicalUri(request.url),
        canonicalQuery(request.url),
        names.map((name) => `${name}:${headerValue(request.headers, name)}\n`).join(''),
        names.join(';'),
        bodyHash,
    ].join('\n');
}
/** `SDK-HMAC-SHA256\n{X-Sdk-Date}\n{hex sha256 of the canonical request}`. */
function stringToSign(canonical, date) {
    return `${ALGORITHM}\n${date}\n${(0,external_node_crypto_.createHash)('sha256').update(canonical).digest('hex')}`;
}
/**
 * The Authorization header value for `request`, signing every header in `signedHeaders`.
 * `X-Sdk-Date` and `host` must be among them and present on the request.
 */
function authorization(request, accessKey, secretKey, signedHeaders) {
    const names = [...new Set(signedHeaders.map((n) => n.toLowerCase()))].sort();
    const canonical = canonicalRequest(request, names);
    const signature = (0,external_node_crypto_.createHmac)('sha256', secretKey).update(stringToSign(canonical, headerValue(request.headers, 'x-sdk-date'))).digest('hex');
    return `${ALGORITHM} Access=${accessKey}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

// EXTERNAL MODULE: ./src/providers/provider.ts
var provider = __webpack_require__(9545);
;// CONCATENATED MODULE: ./src/providers/huaweicloud-rts.ts
/**
 * Huawei Cloud RTS software deployments (providers.md §3), Heat-compatible: `PUT
 * …/v1/{project_id}/software_deployments/{id}` writes the fields sent; when the deployment is
 * IN_PROGRESS afterwards (a new config for the server's agent to run), `GET` is read until the
 * agent's signal moves it to COMPLETE or FAILED.
 * Authentication: an IAM token, AK/SK request signing (huaweicloud-sign.ts), or an IAM password
 * login whose token is masked and reused. Authentication failures are never retried: Huawei locks
 * an AK/SK for 5 minutes after more than 5 failures.
 */






const FIELDS = ['action', 'config_id', 'input_values', 'output_values', 'status', 'status_reason'];
const STATUSES = ['COMPLETE', 'IN_PROGRESS', 'FAILED'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STDERR_LINES = 20;
const huaweicloudRts = {
    name: 'huaweicloud-rts',
    volatile: ['updated_time'],
    baseUrl(settings) {
        return (0,provider/* apiBase */.av)(settings.baseUrl ?? new URL(`https://rts.${settings.region}.myhuaweicloud.com`), `/v1/${settings.projectId}`);
    },
    checkInputs(settings) {
        const problems = [];
        const add = (input, message) => problems.push({ path: [], input, message });
        if (!settings.projectId)
            add('project-id', "Input 'project-id' is required for huaweicloud-rts: the IAM project id of the region (My Credentials → API Credentials in the console).");
        if (!settings.region && (!settings.baseUrl || (settings.credentials.password && !settings.authUrl))) {
            add('region', "Input 'region' is required for huaweicloud-rts, such as cn-north-4: it names the RTS and IAM endpoints.");
        }
        if (settings.targets.length === 0)
            add('target', "Input 'target' is required for huaweicloud-rts: the software deployment's id (a UUID).");
        const { token, accessKey, secretKey, securityToken, username, password, domain } = settings.credentials;
        const methods = [token && 'token', (accessKey || secretKey) && 'access-key/secret-key', (username || password || domain) && 'username/password/domain'].filter(Boolean);
        if (methods.length === 0)
            add('token', "Huawei Cloud needs credentials: 'access-key' and 'secret-key' (recommended), an IAM 'token', or 'username', 'password' and 'domain'.");
        if (methods.length > 1)
            add('token', `Set one kind of Huawei credential, not ${methods.join(' and ')}.`);
        if ((accessKey || secretKey) && !(accessKey && secretKey))
            add(accessKey ? 'secret-key' : 'access-key', "Inputs 'access-key' and 'secret-key' go together for AK/SK signing.");
        if (securityToken && !accessKey)
            add('security-token', "Input 'security-token' goes with a temporary 'access-key' and 'secret-key'.");
        if ((username || password || domain) && !(username && password && domain)) {
            add(!username ? 'username' : !password ? 'password' : 'domain', "IAM password login needs all of 'username', 'password' and 'domain' (the account name).");
        }
        return problems;
    },
    checkTarget(target) {
        return UUID.test(target) ? undefined : `'${target}' is not a software deployment id; expected a UUID such as 3d5ec2a8-7004-43b6-a7f6-542bdbe9d434.`;
    },
    validate(payload) {
        const p = new validate/* Problems */.Z();
        p.knownKeys(payload, [], FIELDS, { id: "the id is the 'target' input, not a payload field.", server_id: 'read-only: a deployment stays on its server.', stack_user_project_id: 'create-only; remove it.' });
        if (!FIELDS.some((field) => Object.hasOwn(payload, field)))
            p.add([], `the payload sets no field; set at least one of ${FIELDS.join(', ')}.`);
        if (Object.hasOwn(payload, 'status'))
            p.oneOf(payload.status, ['status'], STATUSES);
        if (Object.hasOwn(payload, 'config_id') && p.string(payload.config_id, ['config_id'], { min: 1 }) && !UUID.test(payload.config_id)) {
            p.add(['config_id'], `'${payload.config_id}' is not a software config id; expected a UUID.`);
        }
        for (const field of ['action', 'status_reason'])
            if (Object.hasOwn(payload, field))
                p.string(payload[field], [field]);
        for (const field of ['input_values', 'output_values'])
            if (Object.hasOwn(payload, field))
                p.object(payload[field], [field], 'an object of name → value');
        // Heat writes only present, truthy fields: an empty value would silently change nothing.
        for (const field of FIELDS) {
            const value = payload[field];
            const empty = value === '' || value === null || ((0,diff/* isPlainObject */.Qd)(value) && Object.keys(value).length === 0);
            if (Object.hasOwn(payload, field) && empty)
                p.add([field], `RTS ignores an empty ${field} (it cannot be cleared this way), so sending it would change nothing; remove it.`);
        }
        return p.list;
    },
    async authorize(ctx) {
        const { settings } = ctx;
        const { token, accessKey, secretKey, securityToken } = settings.credentials;
        if (accessKey && secretKey) {
            return (request) => signRequest(request, settings, accessKey, secretKey, securityToken);
        }
        const authToken = token ?? ctx.secret(await passwordLogin(ctx));
        return (request) => {
            request.headers['x-auth-token'] = authToken;
        };
    },
    parseError: parseHuaweiError,
    advise(error, target, settings) {
        const { accessKey, token } = settings.credentials;
        if (error.httpStatus === 401 || /^APIG(W)?\.0301$/.test(error.errorType)) {
            if (/reach the limit/i.test(error.providerMessage))
                return 'The AK/SK is locked for 5 minutes after repeated failures: check access-key and secret-key, then run again after the lock ends.';
            if (accessKey)
                return "Huawei refused the AK/SK signature: check 'access-key' and 'secret-key' (and 'security-token' for temporary keys). It was not retried: Huawei locks an AK/SK for 5 minutes after more than 5 failures.";
            if (token)
                return "Huawei refused the IAM token in 'token': tokens expire after 24 hours, and earlier when the user's password, keys or permissions change. Get a new one.";
            return 'Huawei refused the token that IAM issued for the password login: check that the user may use RTS in this project.';
        }
        if (error.httpStatus === 403)
            return `The credentials may not change deployments in project ${settings.projectId}: check 'project-id' and the user's RTS permissions.`;
        if (error.httpStatus === 404)
            return `No software deployment ${target} in project ${settings.projectId}: check 'target', 'project-id' and 'region'.`;
        if (error.httpStatus === 409)
            return 'RTS is busy with this deployment (an action in progress): run again when it has finished.';
        if (error.httpStatus === 400)
            return 'RTS refused the payload: fix what it names and run again.';
        return undefined;
    },
    async read(ctx, target) {
        return getDeployment(ctx, target);
    },
    async update(ctx, target, payload, before) {
        // A PUT with status IN_PROGRESS starts the server's agent again: never send it twice blindly.
        const put = () => ctx.client.request({ method: 'PUT', path: deploymentPath(target), body: payload, replay: 'unsafe', what: 'update the software deployment' });
        let response;
        try {
            response = await put();
        }
        catch (error) {
            if (!(0,errors/* mayHaveApplied */.PH)(error))
                throw error;
            ctx.log.warning(`${error.message} Reading the deployment before sending the update again.`);
            const now = await getDeployment(ctx, target);
            if (now.updated_time !== before.updated_time) {
                ctx.log.info('The update had been applied (updated_time moved): not sending it again.');
                return resultOf(now);
            }
            ctx.log.info('The update had not been applied: sending it once more.');
            response = await put();
        }
        return { ...resultOf(unwrap(response.json)), httpStatus: response.status, requestId: response.requestId, notes: droppedKeys(before, payload) };
    },
    async poll(ctx, target) {
        const deployment = await getDeployment(ctx, target);
        const status = String(deployment.status ?? 'unknown');
        if (status === 'IN_PROGRESS')
            return { state: 'pending', providerStatus: status, value: deployment };
        if (status === 'FAILED')
            throw new errors/* DeployFailedError */.P2(failureMessage(deployment), status, deployment);
        return { state: 'done', providerStatus: status, value: deployment };
    },
    preview(before, payload) {
        const after = { ...((0,diff/* isPlainObject */.Qd)(before) ? before : {}) };
        for (const [key, value] of Object.entries(payload))
            if (value)
                after[key] = value; // Heat writes truthy fields only
        return after;
    },
    describeRequest(ctx, target, payload) {
        const { accessKey } = ctx.settings.credentials;
        const headers = accessKey
            ? { authorization: 'SDK-HMAC-SHA256 Access=***, SignedHeaders=…, Signature=(per request)', 'x-sdk-date': '(per request)', 'content-type': 'application/json' }
            : { 'x-auth-token': '***', 'content-type': 'application/json' };
        return { method: 'PUT', url: ctx.client.url(deploymentPath(target)).href, headers, body: payload };
    },
    statusOf(resource) {
        return (0,diff/* isPlainObject */.Qd)(resource) && typeof resource.status === 'string' ? resource.status : undefined;
    },
    details(resource) {
        if (!(0,diff/* isPlainObject */.Qd)(resource))
            return [];
        const lines = [`Action: ${String(resource.action ?? '—')}`, `Status: ${String(resource.status ?? '—')}`];
        if (resource.status_reason)
            lines.push(`Status reason: ${String(resource.status_reason)}`);
        if ((0,diff/* isPlainObject */.Qd)(resource.output_values)) {
            for (const [name, value] of Object.entries(resource.output_values))
                lines.push(`Output ${name}: ${shorten(typeof value === 'string' ? value : JSON.stringify(value), 200)}`);
        }
        return lines;
    },
};
/** RTS replaces input_values and output_values whole: say which keys an update drops (a server's deploy_* signal values among them). */
function droppedKeys(before, payload) {
    const notes = [];
    for (const field of ['input_values', 'output_values']) {
        const old = (0,diff/* isPlainObject */.Qd)(before) && (0,diff/* isPlainObject */.Qd)(before[field]) ? before[field] : {};
        const sent = payload[field];
        if (!(0,diff/* isPlainObject */.Qd)(sent))
            continue;
        const dropped = Object.keys(old).filter((key) => !Object.hasOwn(sent, key));
        if (dropped.length > 0)
            notes.push(`RTS replaces ${field} whole: this update dropped ${dropped.join(', ')}. Include them in the payload to keep them.`);
    }
    return notes;
}
function deploymentPath(target) {
    return `/software_deployments/${encodeURIComponent(target)}`;
}
function unwrap(body) {
    if ((0,diff/* isPlainObject */.Qd)(body) && (0,diff/* isPlainObject */.Qd)(body.software_deployment))
        return body.software_deployment;
    throw new errors/* DeployPatchError */.M4('RTS answered without a software_deployment object.', 'invalid-response');
}
async function getDeployment(ctx, target) {
    const response = await ctx.client.request({ method: 'GET', path: deploymentPath(target), replay: 'safe', what: 'read the software deployment' });
    return unwrap(response.json);
}
function resultOf(deployment) {
    const status = String(deployment.status ?? 'unknown');
    return { resource: deployment, providerStatus: status, pending: status === 'IN_PROGRESS' };
}
/** FAILED, with the reason, the exit code and the tail of the agent's stderr. */
function failureMessage(deployment) {
    const outputs = (0,diff/* isPlainObject */.Qd)(deployment.output_values) ? deployment.output_values : {};
    const code = outputs.deploy_status_code !== undefined ? ` (deploy_status_code ${String(outputs.deploy_status_code)})` : '';
    const reason = deployment.status_reason ? `: ${String(deployment.status_reason)}` : '';
    const stderr = typeof outputs.deploy_stderr === 'string' ? outputs.deploy_stderr.trimEnd().split('\n').slice(-STDERR_LINES).join('\n') : '';
    return `The software deployment ended FAILED${reason}${code}. Fix the software config or the server, then run again.${stderr ? `\nLast lines of deploy_stderr:\n${stderr}` : ''}`;
}
/** Add X-Sdk-Date, host and the project id, then the SDK-HMAC-SHA256 Authorization; every attempt is signed afresh. */
function signRequest(request, settings, accessKey, secretKey, securityToken) {
    const headers = request.headers;
    headers.host = request.url.host;
    headers['x-sdk-date'] = sdkDate(new Date());
    if (settings.projectId)
        headers['x-project-id'] = settings.projectId;
    if (securityToken)
        headers['x-security-token'] = securityToken;
    const signed = ['host', 'x-sdk-date', 'x-project-id', 'x-security-token', 'content-type'].filter((name) => headers[name] !== undefined);
    headers.authorization = authorization(request, accessKey, secretKey, signed);
}
/** IAM password login scoped to the project; the token comes back in X-Subject-Token. */
async function passwordLogin(ctx) {
    const { settings } = ctx;
    const { username, password, domain } = settings.credentials;
    const base = settings.authUrl ?? new URL(`https://iam.${settings.region}.myhuaweicloud.com`);
    const iam = new client/* ApiClient */.OW({
        baseUrl: new URL(base.origin + base.pathname.replace(/\/+$/, '').replace(/\/v3$/, '')),
        deadline: ctx.deadline,
        signal: ctx.signal,
        maxRetries: settings.maxRetries,
        log: ctx.log,
        parseError: parseHuaweiError,
    });
    try {
        const response = await ctx.log.group('IAM password login', () => iam.request({
            method: 'POST',
            path: '/v3/auth/tokens',
            body: {
                auth: {
                    identity: { methods: ['password'], password: { user: { name: username, password, domain: { name: domain } } } },
                    scope: { project: settings.projectId ? { id: settings.projectId } : { name: settings.region } },
                },
            },
            replay: 'safe', // issuing a second token is harmless
            what: 'log in to IAM',
        }));
        const token = response.headers['x-subject-token'];
        if (typeof token !== 'string' || token === '')
            throw new errors/* DeployPatchError */.M4('IAM answered the login without an X-Subject-Token header.', 'invalid-response');
        return token;
    }
    catch (error) {
        if (error instanceof errors/* ApiError */.hD && (error.httpStatus === 401 || error.httpStatus === 400)) {
            error.message = `${error.message} IAM refused the password login of user '${username}' in account '${domain}': check 'username', 'password' and 'domain' (an IAM user, not a HUAWEI ID), and 'auth-url'.`;
        }
        throw error;
    }
    finally {
        iam.dispose();
    }
}
/** Huawei's `{error_code, error_msg, request_id}`, Heat's `{code, title, explanation, error: {type, message}}` or Keystone's `{error: {code, message, title}}`. */
function parseHuaweiError(status, body) {
    if (!(0,diff/* isPlainObject */.Qd)(body))
        return { type: '', message: '' };
    if (typeof body.error_code === 'string') {
        return { type: body.error_code, message: `${body.error_code}: ${String(body.error_msg ?? '')}`, requestId: typeof body.request_id === 'string' ? body.request_id : undefined };
    }
    if ((0,diff/* isPlainObject */.Qd)(body.error)) {
        const type = String(body.error.type ?? body.error.title ?? body.title ?? `http-${status}`);
        const message = String(body.error.message ?? body.explanation ?? '');
        return { type, message: `${type}: ${message}` };
    }
    return { type: '', message: typeof body.message === 'string' ? body.message : '' };
}
function shorten(text, max) {
    const chars = Array.from(text);
    return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
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
