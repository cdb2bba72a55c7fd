// A typed KV map of items: string keys → JSON records, written through the package's
// converters (`ccfapp.string` keys, `ccfapp.checkedJson` values).
import * as ccfapp from "@microsoft/ccf-app";
import * as ccfcrypto from "@microsoft/ccf-app/crypto.js";
import { callerId, error, intParam, parseQuery, toHex } from "./http.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What the map holds for a key. */
export interface Item {
  value: Json;
  /** The user id of the last writer. */
  author: string;
  /** Hex SHA-256 of the request body the value came from. */
  sha256: string;
}

const items = ccfapp.typedKv("items", ccfapp.string, ccfapp.checkedJson<Item>());

const KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** The `{key}` path parameter, or an error response. */
function itemKey(request: ccfapp.Request): string | ccfapp.Response {
  const key = request.params["key"];
  if (key === undefined || !KEY.test(key)) {
    return error(400, "InvalidInput", `Invalid item key: ${JSON.stringify(key)}.`);
  }
  return key;
}

/** POST /items/{key}: stores the JSON body; 201 when the key is new, 200 when replaced. */
export function putItem(request: ccfapp.Request<Json>): ccfapp.Response {
  const key = itemKey(request);
  if (typeof key !== "string") {
    return key;
  }
  let value: Json;
  try {
    value = request.body.json();
  } catch {
    return error(400, "InvalidInput", "The body must be JSON.");
  }
  const sha256 = toHex(ccfcrypto.digest("SHA-256", request.body.arrayBuffer()));
  const created = !items.has(key);
  items.set(key, { value, author: callerId(request), sha256 });
  return {
    statusCode: created ? 201 : 200,
    headers: { location: `/app/items/${key}` },
    body: { key, created },
  };
}

/** GET /items/{key}: the record as JSON, or with `?format=text` its value as text. */
export function getItem(request: ccfapp.Request): ccfapp.Response {
  const key = itemKey(request);
  if (typeof key !== "string") {
    return key;
  }
  const format = parseQuery(request)["format"] ?? "json";
  if (format !== "json" && format !== "text") {
    return error(400, "InvalidInput", `Unknown format: ${format}.`);
  }
  const item = items.get(key);
  if (item === undefined) {
    return error(404, "ResourceNotFound", `No such item: ${key}.`);
  }
  if (format === "text") {
    return { body: JSON.stringify(item.value), headers: { "x-item-author": item.author } };
  }
  return {
    body: {
      key,
      value: item.value,
      author: item.author,
      sha256: item.sha256,
      version: items.getVersionOfPreviousWrite(key) ?? null,
    },
  };
}

/** DELETE /items/{key}: 204 when it existed, 404 when not. */
export function deleteItem(request: ccfapp.Request): ccfapp.Response {
  const key = itemKey(request);
  if (typeof key !== "string") {
    return key;
  }
  if (!items.has(key)) {
    return error(404, "ResourceNotFound", `No such item: ${key}.`);
  }
  items.delete(key);
  return { statusCode: 204 };
}

/** GET /items?prefix=&limit=: the matching keys, sorted, at most `limit` of them. */
export function listItems(request: ccfapp.Request): ccfapp.Response {
  const query = parseQuery(request);
  const prefix = query["prefix"] ?? "";
  const limit = intParam(query, "limit", 100, 1, 1000);
  if (limit === undefined) {
    return error(400, "InvalidInput", "limit must be a whole number from 1 to 1000.");
  }
  const keys: string[] = [];
  items.forEach((_item, key) => {
    if (key.startsWith(prefix)) {
      keys.push(key);
    }
  });
  keys.sort();
  return { body: { keys: keys.slice(0, limit), total: keys.length } };
}

/** GET /count: how many items there are. */
export function countItems(_request: ccfapp.Request): ccfapp.Response<{ count: number }> {
  return { body: { count: items.size } };
}
