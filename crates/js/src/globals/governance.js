// CCF's gov-only API (its node, network, gov and gov-effects extensions), built over the
// natives in governance.rs and added to `ccf` by the prelude in governance contexts only.
// Arguments are checked here as CCF checks them (same counts, same TypeErrors); the natives do
// the rest.
(q, ccf, bytes) => {
  "use strict";
  const expectCount = (args, count, words) => {
    if (args.length !== count) {
      throw new TypeError(`Passed ${args.length} arguments but expected ${words}`);
    }
  };
  // JS_ToIndex, as CCF reads a number of days.
  const toIndex = (value) => {
    const number = Number(value);
    const whole = Number.isNaN(number) ? 0 : Math.trunc(number);
    if (!(whole >= 0 && whole <= Number.MAX_SAFE_INTEGER)) {
      throw new RangeError("invalid array index");
    }
    return whole;
  };
  // The node actions: CCF checks the argument count of the first two only.
  const action = (name, checked) =>
    function (...args) {
      if (checked) {
        expectCount(args, 0, "none");
      }
      q.gov_node_action(`ccf.node.${name}`, name);
    };
  const node = {
    triggerLedgerRekey: action("triggerLedgerRekey", true),
    triggerRecoverySharesRefresh: action("triggerRecoverySharesRefresh", true),
    triggerLedgerChunk: action("triggerLedgerChunk", false),
    triggerSnapshot: action("triggerSnapshot", false),
    transitionServiceToOpen(...args) {
      expectCount(args, 2, "two");
      const [previous, next] = args;
      let previousBytes;
      if (previous !== undefined) {
        if (!(previous instanceof ArrayBuffer)) {
          throw new TypeError("Previous service identity argument is not an array buffer");
        }
        previousBytes = bytes(previous);
      }
      if (next === undefined) {
        throw new Error("Proposal requires a service identity");
      }
      if (!(next instanceof ArrayBuffer)) {
        throw new TypeError("Next service identity argument is not an array buffer");
      }
      q.gov_transition_service_to_open(previousBytes, bytes(next));
    },
  };
  const network = {
    getLatestLedgerSecretSeqno(...args) {
      expectCount(args, 0, "none");
      return q.gov_latest_ledger_secret_seqno();
    },
    generateEndorsedCertificate(...args) {
      expectCount(args, 3, "3");
      const [csr, validFrom, validityPeriodDays] = args;
      return q.gov_endorse_csr(String(csr), String(validFrom), toIndex(validityPeriodDays));
    },
    generateNetworkCertificate(...args) {
      expectCount(args, 2, "2");
      const [validFrom, validityPeriodDays] = args;
      return q.gov_renew_service_certificate(String(validFrom), toIndex(validityPeriodDays));
    },
  };
  const gov = {
    validateConstitution(...args) {
      if (args.length !== 1) {
        throw new TypeError(`Passed ${args.length} arguments, but expected 1`);
      }
      const [constitution] = args;
      if (typeof constitution !== "string") {
        throw new TypeError("constitution is not a string");
      }
      if (constitution.length === 0) {
        throw new TypeError("constitution is empty");
      }
      q.gov_validate_constitution(constitution);
      return true;
    },
  };
  const json = (value, what) => {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new TypeError(`${what} argument is not a JSON object`);
    }
    return text;
  };
  ccf.node = Object.freeze(node);
  ccf.network = Object.freeze(network);
  ccf.gov = Object.freeze(gov);
  ccf.setJwtPublicSigningKeys = function (...args) {
    expectCount(args, 3, "3");
    const [issuer, metadata, jwks] = args;
    q.gov_set_jwt_keys(String(issuer), json(metadata, "metadata"), json(jwks, "jwks"));
  };
  ccf.removeJwtPublicSigningKeys = function (...args) {
    expectCount(args, 1, "1");
    q.gov_remove_jwt_keys(String(args[0]));
  };
  // This runtime keeps no bytecode in the KV (modules are compiled when a context first
  // imports them). Where CCF compiles the app here, this compiles every module of the app the
  // transaction holds and checks its endpoints name modules it has, so an app that would not
  // load fails the proposal that deploys it and the previous app keeps serving.
  ccf.refreshAppBytecodeCache = function (...args) {
    expectCount(args, 0, "none");
    q.gov_check_app();
  };
}
