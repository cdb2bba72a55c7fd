// CCF's logging sample as a JS app, answering exactly as the native app in apps/logging does
// (same maps, same key and value bytes, same statuses and error bodies), so the two can be
// compared request for request. Keys are an id's decimal digits and values the message as a
// JSON string, as CCF's `kv::Map<size_t, std::string>` stores them.
import { id, mapName, params, ok, error, query } from "./util.js";

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
  ccf.kv[mapName(map, query(request))].set(key(input.value.id), encode(input.value.msg));
  return ok(true);
}

function get(map, request) {
  const parameters = query(request);
  const requested = id(parameters);
  if (requested.error) {
    return requested.error;
  }
  const value = ccf.kv[mapName(map, parameters)].get(key(requested.value));
  if (value === undefined) {
    return error(404, "ResourceNotFound", `No such record: ${requested.value}.`);
  }
  return ok({ msg: decode(value) });
}

function remove(map, request) {
  const parameters = query(request);
  const requested = id(parameters);
  if (requested.error) {
    return requested.error;
  }
  const records = ccf.kv[mapName(map, parameters)];
  const had = records.has(key(requested.value));
  records.delete(key(requested.value));
  return ok(had);
}

function clear(map, request) {
  ccf.kv[mapName(map, query(request))].clear();
  return ok(true);
}

function count(map, request) {
  return ok(ccf.kv[mapName(map, query(request))].size);
}

function historical(map, request) {
  const parameters = query(request);
  const requested = id(parameters);
  if (requested.error) {
    return requested.error;
  }
  const value = ccf.historicalState.kv[mapName(map, parameters)].get(key(requested.value));
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

// As CCF's sample: every committed write of record `id` from `from_seqno` (default 1) to
// `to_seqno` (default its last write, else the commit point), 2,000 seqnos a page, with
// `@nextLink` for the rest.
const RANGE_PAGE_SEQNOS = 2000;

function historicalRange(map, request, linkPrefix) {
  const parameters = query(request);
  const requested = id(parameters);
  if (requested.error) {
    return requested.error;
  }
  const seqno = (name, fallback) => {
    const text = parameters[name];
    if (text === undefined) {
      return { value: fallback() };
    }
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
      return { error: error(400, "InvalidInput", `${name} is not a positive integer`) };
    }
    return { value: Number(text) };
  };
  const name = mapName(map, parameters);
  const from = seqno("from_seqno", () => 1);
  if (from.error) {
    return from.error;
  }
  const to = seqno("to_seqno", () => {
    const last = ccf.kv[name].getVersionOfPreviousWrite(key(requested.value));
    return last !== undefined ? last : ccf.consensus.getLastCommittedTxId().seqno;
  });
  if (to.error) {
    return to.error;
  }
  if (to.value < from.value) {
    return error(400, "InvalidInput", "to_seqno must be >= from_seqno");
  }
  const view = ccf.consensus.getViewForSeqno(to.value);
  if (view === null || ccf.consensus.getStatusForTxId(view, to.value) !== "Committed") {
    return error(400, "InvalidInput", "End of range must be committed");
  }
  const end = Math.min(to.value, from.value + RANGE_PAGE_SEQNOS);
  const entries = [];
  for (const state of ccf.historical.getStateRange(0, from.value, end, 1800)) {
    const value = state.kv[name].get(key(requested.value));
    if (value !== undefined) {
      entries.push({
        seqno: Number(state.transactionId.split(".")[1]),
        id: requested.value,
        msg: decode(value),
      });
    }
  }
  const body = { entries };
  if (end !== to.value) {
    body["@nextLink"] =
      `${linkPrefix}?from_seqno=${end + 1}&to_seqno=${to.value}&id=${requested.value}`;
  }
  return ok(body);
}

export const historicalRangePrivate = (request) =>
  historicalRange(PRIVATE, request, "/app/log/private/historical/range");
export const historicalRangePublic = (request) =>
  historicalRange(PUBLIC, request, "/app/log/public/historical/range");
