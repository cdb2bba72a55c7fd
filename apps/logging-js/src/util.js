// Request parsing and CCF-shaped answers shared by the logging handlers.

export const ok = (body) => ({ statusCode: 200, body });

export const error = (statusCode, code, message) => ({
  statusCode,
  body: { error: { code, message } },
});

// The query parameters, decoded.
export function query(request) {
  const result = {};
  for (const pair of request.query.split("&")) {
    if (pair === "") {
      continue;
    }
    const at = pair.indexOf("=");
    const name = at < 0 ? pair : pair.slice(0, at);
    const value = at < 0 ? "" : pair.slice(at + 1);
    const decode = (text) => {
      const spaced = text.indexOf("+") < 0 ? text : text.replace(/\+/g, " ");
      return spaced.indexOf("%") < 0 ? spaced : decodeURIComponent(spaced);
    };
    if (!(decode(name) in result)) {
      result[decode(name)] = decode(value);
    }
  }
  return result;
}

// `records` or `records-<scope>`, from the parsed query.
export function mapName(base, parameters) {
  const scope = parameters.scope;
  return scope === undefined ? base : `${base}-${scope}`;
}

// The `id` query parameter (from the parsed query): decimal digits only.
export function id(parameters) {
  const value = parameters.id;
  if (value === undefined) {
    return { error: error(400, "InvalidQueryParameterValue", "Missing query parameter 'id'") };
  }
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    return {
      error: error(400, "InvalidQueryParameterValue", `Unable to parse value '${value}' in parameter 'id'`),
    };
  }
  return { value: Number(value) };
}

// `{"id": <uint>, "msg": <string>}` from the body.
export function params(request) {
  let body;
  try {
    body = request.body.text() === "" ? {} : request.body.json();
  } catch (e) {
    return { error: error(400, "InvalidInput", `Invalid JSON body: ${e.message}.`) };
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { error: error(400, "InvalidInput", `At #/: Expected object, found: ${JSON.stringify(body)}`) };
  }
  for (const field of ["id", "msg"]) {
    if (!(field in body)) {
      return {
        error: error(400, "InvalidInput", `At #/: Missing required field '${field}' in object: ${JSON.stringify(body)}`),
      };
    }
  }
  if (!Number.isSafeInteger(body.id) || body.id < 0) {
    return { error: error(400, "InvalidInput", "id must be a non-negative integer") };
  }
  if (typeof body.msg !== "string") {
    return { error: error(400, "InvalidInput", "msg must be a string") };
  }
  return { value: body };
}
