// CCF's logging sample as a JS app, answering exactly as the native app in apps/logging does
// (same maps, same key and value bytes, same statuses and error bodies), so the two can be
// compared request for request. Keys are an id's decimal digits and values the message as a
// JSON string, as CCF's `kv::Map<size_t, std::string>` stores them.
import { id, mapName, params, ok, error } from "./util.js";

const PRIVATE = "records";
const PUBLIC = "public:records";

const key = (value) => ccf.strToBuf(String(value));
const encode = (msg) => ccf.strToBuf(JSON.stringify(msg));
const decode = (buffer) => JSON.parse(ccf.bufToStr(buffer));

function post(map, request) {
  const input = params(request);
  if (input.error) {
    return input.error;
  }
  if (input.value.msg === "") {
    return error(400, "InvalidInput", "Cannot record an empty log message.");
  }
  ccf.kv[mapName(map, request)].set(key(input.value.id), encode(input.value.msg));
  return ok(true);
}

function get(map, request) {
  const requested = id(request);
  if (requested.error) {
    return requested.error;
  }
  const value = ccf.kv[mapName(map, request)].get(key(requested.value));
  if (value === undefined) {
    return error(404, "ResourceNotFound", `No such record: ${requested.value}.`);
  }
  return ok({ msg: decode(value) });
}

function remove(map, request) {
  const requested = id(request);
  if (requested.error) {
    return requested.error;
  }
  const records = ccf.kv[mapName(map, request)];
  const had = records.has(key(requested.value));
  records.delete(key(requested.value));
  return ok(had);
}

function clear(map, request) {
  ccf.kv[mapName(map, request)].clear();
  return ok(true);
}

function count(map, request) {
  return ok(ccf.kv[mapName(map, request)].size);
}

function historical(map, request) {
  const requested = id(request);
  if (requested.error) {
    return requested.error;
  }
  const value = ccf.historicalState.kv[mapName(map, request)].get(key(requested.value));
  if (value === undefined) {
    return { statusCode: 204 };
  }
  return ok({ msg: decode(value) });
}

export const postPrivate = (request) => post(PRIVATE, request);
export const postPublic = (request) => post(PUBLIC, request);
export const getPrivate = (request) => get(PRIVATE, request);
export const getPublic = (request) => get(PUBLIC, request);
export const deletePrivate = (request) => remove(PRIVATE, request);
export const deletePublic = (request) => remove(PUBLIC, request);
export const clearPrivate = (request) => clear(PRIVATE, request);
export const clearPublic = (request) => clear(PUBLIC, request);
export const countPrivate = (request) => count(PRIVATE, request);
export const countPublic = (request) => count(PUBLIC, request);
export const historicalPrivate = (request) => historical(PRIVATE, request);
export const historicalPublic = (request) => historical(PUBLIC, request);

// As CCF's sample: the historical record with the transaction's receipt, which the client
// can verify offline against the service certificate.
function historicalWithReceipt(map, request) {
  const result = historical(map, request);
  if (result.statusCode === 200) {
    result.body.receipt = ccf.historicalState.receipt;
  }
  return result;
}

export const historicalReceiptPrivate = (request) => historicalWithReceipt(PRIVATE, request);
export const historicalReceiptPublic = (request) => historicalWithReceipt(PUBLIC, request);
