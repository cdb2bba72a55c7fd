//! The read-only service views of the `2024-07-01` governance API (`/gov/service/*`), built
//! from a transaction: what CCF answers, camelCase.

use quorate_kv::Tx;
use quorate_ledger::tables;
use serde_json::{Map, Value, json};

use crate::error::GovError;
use crate::replay::DEFAULT_WINDOW_SIZE;
use crate::signed_request::is_hex_id;

/// CCF's defaults for what `service.config` may leave out.
const DEFAULT_NODE_CERTIFICATE_VALIDITY_DAYS: u64 = 365;
const DEFAULT_SERVICE_CERTIFICATE_VALIDITY_DAYS: u64 = 365;

fn text(tx: &mut Tx, map: &str, key: &[u8]) -> Option<String> {
    tx.get(map, key)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn json_value(tx: &mut Tx, map: &str, key: &[u8]) -> Option<Value> {
    tx.get(map, key)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

fn keys(tx: &mut Tx, map: &str) -> Vec<String> {
    let mut keys = Vec::new();
    tx.foreach(map, |key, _| {
        keys.push(String::from_utf8_lossy(key).into_owned());
        true
    });
    keys
}

fn singleton(tx: &mut Tx, map: &str) -> Option<Value> {
    json_value(tx, map, &tables::SINGLETON_KEY)
}

fn check_id(id: &str, what: &str) -> Result<(), GovError> {
    if is_hex_id(id) {
        Ok(())
    } else {
        Err(GovError::InvalidResourceName(format!(
            "'{id}' is not a valid hex-encoded {what} ID"
        )))
    }
}

/// `GET /gov/service/info`.
pub fn service_info(tx: &mut Tx) -> Result<Value, GovError> {
    let info = singleton(tx, tables::SERVICE_INFO)
        .ok_or_else(|| GovError::NotFound("Service info not yet available".into()))?;
    let mut body = json!({
        "status": info.get("status").cloned().unwrap_or(Value::Null),
        "certificate": info.get("cert").cloned().unwrap_or(Value::Null),
        "recoveryCount": info.get("recovery_count").and_then(Value::as_u64).unwrap_or(0),
        "serviceData": info.get("service_data").cloned().unwrap_or(Value::Null),
    });
    if let Some(txid) = info.get("current_service_create_txid") {
        body["creationTransactionId"] = txid.clone();
    }
    if let Some(config) = singleton(tx, tables::SERVICE_CONFIG) {
        let number =
            |name: &str, default: u64| config.get(name).and_then(Value::as_u64).unwrap_or(default);
        body["configuration"] = json!({
            "recoveryThreshold": number("recovery_threshold", 0),
            "maximumNodeCertificateValidityDays":
                number("maximum_node_certificate_validity_days", DEFAULT_NODE_CERTIFICATE_VALIDITY_DAYS),
            "maximumServiceCertificateValidityDays":
                number("maximum_service_certificate_validity_days", DEFAULT_SERVICE_CERTIFICATE_VALIDITY_DAYS),
            "recentCoseProposalsWindowSize":
                number("recent_cose_proposals_window_size", DEFAULT_WINDOW_SIZE as u64),
        });
    }
    Ok(body)
}

/// `GET /gov/service/constitution`: the JavaScript text.
pub fn constitution(tx: &mut Tx) -> Result<String, GovError> {
    singleton(tx, tables::CONSTITUTION)
        .and_then(|value| value.as_str().map(str::to_owned))
        .ok_or_else(|| GovError::NotFound("Constitution not found".into()))
}

fn member(tx: &mut Tx, member_id: &str) -> Option<Value> {
    let info = json_value(tx, tables::MEMBERS_INFO, member_id.as_bytes())?;
    let mut body = json!({
        "memberId": member_id,
        "status": info.get("status").cloned().unwrap_or(Value::Null),
        "memberData": info.get("member_data").cloned().unwrap_or(Value::Null),
    });
    if let Some(cert) = text(tx, tables::MEMBERS_CERTS, member_id.as_bytes()) {
        body["certificate"] = Value::String(cert);
    }
    let key = text(
        tx,
        tables::MEMBERS_ENCRYPTION_PUBLIC_KEYS,
        member_id.as_bytes(),
    );
    let role = match (info.get("recovery_role").and_then(Value::as_str), &key) {
        (Some(role), _) => role.to_owned(),
        (None, Some(_)) => "Participant".to_owned(),
        (None, None) => "NonParticipant".to_owned(),
    };
    if let Some(key) = key {
        body["publicEncryptionKey"] = Value::String(key);
    }
    body["recoveryRole"] = Value::String(role);
    Some(body)
}

/// `GET /gov/service/members`.
pub fn members(tx: &mut Tx) -> Value {
    let ids = keys(tx, tables::MEMBERS_INFO);
    let list: Vec<Value> = ids.iter().filter_map(|id| member(tx, id)).collect();
    json!({ "value": list })
}

/// `GET /gov/service/members/{memberId}`.
pub fn member_by_id(tx: &mut Tx, member_id: &str) -> Result<Value, GovError> {
    check_id(member_id, "member")?;
    member(tx, member_id)
        .ok_or_else(|| GovError::NotFound(format!("Member {member_id} does not exist.")))
}

fn user(tx: &mut Tx, user_id: &str) -> Option<Value> {
    let cert = text(tx, tables::USERS_CERTS, user_id.as_bytes())?;
    let data = json_value(tx, tables::USERS_INFO, user_id.as_bytes()).unwrap_or(Value::Null);
    Some(json!({"userId": user_id, "certificate": cert, "userData": data}))
}

/// `GET /gov/service/users`.
pub fn users(tx: &mut Tx) -> Value {
    let ids = keys(tx, tables::USERS_CERTS);
    let list: Vec<Value> = ids.iter().filter_map(|id| user(tx, id)).collect();
    json!({ "value": list })
}

/// `GET /gov/service/users/{userId}`.
pub fn user_by_id(tx: &mut Tx, user_id: &str) -> Result<Value, GovError> {
    check_id(user_id, "user")?;
    user(tx, user_id).ok_or_else(|| GovError::NotFound(format!("User {user_id} does not exist.")))
}

fn node(tx: &mut Tx, node_id: &str) -> Option<Value> {
    let info = json_value(tx, tables::NODES_INFO, node_id.as_bytes())?;
    let field = |name: &str| info.get(name).cloned().unwrap_or(Value::Null);
    let mut body = json!({
        "nodeId": node_id,
        "status": field("status"),
        "nodeData": field("node_data"),
        "retiredCommitted": info.get("retired_committed").and_then(Value::as_bool).unwrap_or(false),
    });
    if let Some(cert) = text(tx, tables::NODES_ENDORSED_CERTIFICATES, node_id.as_bytes()) {
        body["certificate"] = Value::String(cert);
    }
    let quote = info.get("quote_info").cloned().unwrap_or(Value::Null);
    body["quoteInfo"] = json!({
        "format": quote.get("format").cloned().unwrap_or(Value::Null),
        "rawQuote": quote.get("quote").cloned().unwrap_or(Value::Null),
    });
    let mut interfaces = Map::new();
    if let Some(Value::Object(rpc)) = info.get("rpc_interfaces") {
        for (name, interface) in rpc {
            let mut described = json!({
                "publishedAddress": interface.get("published_address").cloned().unwrap_or(Value::Null),
            });
            if let Some(protocol) = interface.get("app_protocol") {
                described["protocol"] = protocol.clone();
            }
            interfaces.insert(name.clone(), described);
        }
    }
    body["rpcInterfaces"] = Value::Object(interfaces);
    Some(body)
}

/// `GET /gov/service/nodes`.
pub fn nodes(tx: &mut Tx) -> Value {
    let ids = keys(tx, tables::NODES_INFO);
    let list: Vec<Value> = ids.iter().filter_map(|id| node(tx, id)).collect();
    json!({ "value": list })
}

/// `GET /gov/service/nodes/{nodeId}`.
pub fn node_by_id(tx: &mut Tx, node_id: &str) -> Result<Value, GovError> {
    check_id(node_id, "node")?;
    node(tx, node_id).ok_or_else(|| GovError::NotFound(format!("Node {node_id} does not exist.")))
}

/// `GET /gov/service/javascript-app`: endpoints by path and verb, camelCase unless
/// `original_case` (then as stored).
pub fn javascript_app(tx: &mut Tx, original_case: bool) -> Value {
    let mut endpoints: Map<String, Value> = Map::new();
    tx.foreach(tables::ENDPOINTS, |key, value| {
        let (Some((path, verb)), Ok(properties)) = (
            quorate_js::parse_endpoint_key(key),
            serde_json::from_slice::<Value>(value),
        ) else {
            return true;
        };
        let operation = if original_case {
            properties
        } else {
            let field = |name: &str| properties.get(name).cloned().unwrap_or(Value::Null);
            json!({
                "jsModule": field("js_module"),
                "jsFunction": field("js_function"),
                "forwardingRequired": field("forwarding_required"),
                "redirectionStrategy": field("redirection_strategy"),
                "authnPolicies": properties.get("authn_policies").cloned().unwrap_or_else(|| json!([])),
                "mode": field("mode"),
                "openApi": field("openapi"),
            })
        };
        let operations = endpoints
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        operations[verb.to_lowercase()] = operation;
        true
    });
    json!({ "endpoints": endpoints })
}

/// `GET /gov/service/javascript-modules`.
pub fn javascript_modules(tx: &mut Tx) -> Value {
    let list: Vec<Value> = keys(tx, tables::MODULES)
        .into_iter()
        .map(|name| json!({ "moduleName": name }))
        .collect();
    json!({ "value": list })
}

/// `GET /gov/service/javascript-modules/{moduleName}`: the module's source.
pub fn javascript_module(tx: &mut Tx, name: &str) -> Result<String, GovError> {
    text(tx, tables::MODULES, name.as_bytes())
        .ok_or_else(|| GovError::NotFound(format!("Module {name} does not exist.")))
}

/// Every entry of `map` as `{key: value}` (keys as text, values as JSON or text).
fn table_object(tx: &mut Tx, map: &str) -> Map<String, Value> {
    let mut object = Map::new();
    tx.foreach(map, |key, value| {
        let value = serde_json::from_slice(value)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(value).into_owned()));
        object.insert(String::from_utf8_lossy(key).into_owned(), value);
        true
    });
    object
}

/// `GET /gov/service/join-policy`: what a joining node's attestation must match.
pub fn join_policy(tx: &mut Tx) -> Value {
    let allowed = |tx: &mut Tx, map: &str| -> Vec<Value> {
        table_object(tx, map)
            .into_iter()
            .filter(|(_, status)| status.as_str() == Some("AllowedToJoin"))
            .map(|(measurement, _)| Value::String(measurement))
            .collect()
    };
    json!({
        "virtual": {
            "measurements": allowed(tx, tables::NODES_VIRTUAL_MEASUREMENTS),
            "hostData": keys(tx, tables::NODES_VIRTUAL_HOST_DATA),
        },
        "snp": {
            "measurements": allowed(tx, tables::NODES_SNP_MEASUREMENTS),
            "hostData": table_object(tx, tables::NODES_SNP_HOST_DATA),
            "uvmEndorsements": table_object(tx, tables::NODES_SNP_UVM_ENDORSEMENTS),
            "tcbVersions": table_object(tx, tables::NODES_SNP_TCB_VERSIONS),
        },
    })
}

/// `GET /gov/service/jwk`: JWT issuers, their keys and the CA bundles.
pub fn jwk(tx: &mut Tx) -> Value {
    let issuers: Map<String, Value> = table_object(tx, tables::JWT_ISSUERS)
        .into_iter()
        .map(|(issuer, metadata)| {
            let mut described = json!({
                "autoRefresh": metadata.get("auto_refresh").and_then(Value::as_bool).unwrap_or(false),
            });
            if let Some(bundle) = metadata.get("ca_cert_bundle_name") {
                described["caCertBundleName"] = bundle.clone();
            }
            (issuer, described)
        })
        .collect();
    let keys: Map<String, Value> = table_object(tx, tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2)
        .into_iter()
        .map(|(kid, entries)| {
            let described: Vec<Value> = entries
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|entry| {
                    json!({
                        "publicKey": entry.get("public_key").cloned().unwrap_or(Value::Null),
                        "issuer": entry.get("issuer").cloned().unwrap_or(Value::Null),
                        "constraint": entry.get("constraint").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect();
            (kid, Value::Array(described))
        })
        .collect();
    json!({
        "issuers": issuers,
        "keys": keys,
        "caCertBundles": table_object(tx, tables::TLS_CA_CERT_BUNDLES),
    })
}
