//! Names of CCF's built-in tables as they are stored in the ledger (reference §1.17), so that every
//! writer and reader of a signature, genesis or governance entry spells them the same way.

/// Key of every singleton ("Value") table: eight zero bytes, CCF's encoding of the unit key.
pub const SINGLETON_KEY: [u8; 8] = [0; 8];

/// The node's ECDSA signature over the Merkle root (JSON `PrimarySignature`).
pub const SIGNATURES: &str = "public:ccf.internal.signatures";
/// The service's COSE_Sign1 over the Merkle root (a JSON string of base64).
pub const COSE_SIGNATURES: &str = "public:ccf.internal.cose_signatures";
/// The serialised Merkle tree since the previous signature.
pub const TREE: &str = "public:ccf.internal.tree";
/// Evidence of a snapshot (`{"hash", "version"}`).
pub const SNAPSHOT_EVIDENCE: &str = "public:ccf.internal.snapshot_evidence";
/// Ledger secrets encrypted to each node.
pub const ENCRYPTED_LEDGER_SECRETS: &str = "public:ccf.internal.encrypted_ledger_secrets";
/// The previous ledger secret, encrypted under the current one (rekey chain).
pub const HISTORICAL_ENCRYPTED_LEDGER_SECRET: &str =
    "public:ccf.internal.historical_encrypted_ledger_secret";
/// The wrapped latest ledger secret and members' encrypted recovery shares.
pub const RECOVERY_SHARES: &str = "public:ccf.internal.recovery_shares";
/// Recovery shares submitted during a disaster recovery.
pub const ENCRYPTED_SUBMITTED_SHARES: &str = "public:ccf.internal.encrypted_submitted_shares";
/// The new service's COSE endorsement of the previous service identity.
pub const PREVIOUS_SERVICE_IDENTITY_ENDORSEMENT: &str =
    "public:ccf.internal.previous_service_identity_endorsement";
/// The last root signed by the previous service.
pub const PREVIOUS_SERVICE_LAST_SIGNED_ROOT: &str =
    "public:ccf.internal.previous_service_last_signed_root";
/// How the last recovery obtained the ledger secrets.
pub const LAST_RECOVERY_TYPE: &str = "public:ccf.internal.last_recovery_type";

/// Service identity and status (`{"cert", "status", ...}`).
pub const SERVICE_INFO: &str = "public:ccf.gov.service.info";
/// Service configuration (`{"recovery_threshold", ...}`).
pub const SERVICE_CONFIG: &str = "public:ccf.gov.service.config";
/// The previous service identity after a recovery.
pub const SERVICE_PREVIOUS_SERVICE_IDENTITY: &str =
    "public:ccf.gov.service.previous_service_identity";
/// Node information keyed by node id (`{"status", "quote_info", ...}`).
pub const NODES_INFO: &str = "public:ccf.gov.nodes.info";
/// Service-endorsed node certificates keyed by node id, as raw PEM.
pub const NODES_ENDORSED_CERTIFICATES: &str = "public:ccf.gov.nodes.endorsed_certificates";
/// Deprecated code ids of trusted node builds.
pub const NODES_CODE_IDS: &str = "public:ccf.gov.nodes.code_ids";
/// Host data accepted for virtual nodes.
pub const NODES_VIRTUAL_HOST_DATA: &str = "public:ccf.gov.nodes.virtual.host_data";
/// Measurements accepted for virtual nodes.
pub const NODES_VIRTUAL_MEASUREMENTS: &str = "public:ccf.gov.nodes.virtual.measurements";
/// Host data accepted for SEV-SNP nodes.
pub const NODES_SNP_HOST_DATA: &str = "public:ccf.gov.nodes.snp.host_data";
/// Measurements accepted for SEV-SNP nodes.
pub const NODES_SNP_MEASUREMENTS: &str = "public:ccf.gov.nodes.snp.measurements";
/// UVM endorsements accepted for SEV-SNP nodes.
pub const NODES_SNP_UVM_ENDORSEMENTS: &str = "public:ccf.gov.nodes.snp.uvm_endorsements";
/// Minimum TCB versions accepted for SEV-SNP nodes.
pub const NODES_SNP_TCB_VERSIONS: &str = "public:ccf.gov.nodes.snp.tcb_versions";
/// Member certificates keyed by member id.
pub const MEMBERS_CERTS: &str = "public:ccf.gov.members.certs";
/// Member RSA encryption keys for recovery shares.
pub const MEMBERS_ENCRYPTION_PUBLIC_KEYS: &str = "public:ccf.gov.members.encryption_public_keys";
/// Member status and data.
pub const MEMBERS_INFO: &str = "public:ccf.gov.members.info";
/// Members' acknowledgements of the state digest.
pub const MEMBERS_ACKS: &str = "public:ccf.gov.members.acks";
/// User certificates keyed by user id.
pub const USERS_CERTS: &str = "public:ccf.gov.users.certs";
/// User data.
pub const USERS_INFO: &str = "public:ccf.gov.users.info";
/// Proposals keyed by proposal id.
pub const PROPOSALS: &str = "public:ccf.gov.proposals";
/// Proposal state, ballots and outcome.
pub const PROPOSALS_INFO: &str = "public:ccf.gov.proposals_info";
/// The JavaScript constitution.
pub const CONSTITUTION: &str = "public:ccf.gov.constitution";
/// Application JavaScript modules.
pub const MODULES: &str = "public:ccf.gov.modules";
/// Precompiled QuickJS bytecode of the modules.
pub const MODULES_QUICKJS_BYTECODE: &str = "public:ccf.gov.modules_quickjs_bytecode";
/// QuickJS version the bytecode was made with.
pub const MODULES_QUICKJS_VERSION: &str = "public:ccf.gov.modules_quickjs_version";
/// JavaScript runtime limits.
pub const JS_RUNTIME_OPTIONS: &str = "public:ccf.gov.js_runtime_options";
/// Marker that flushes the interpreter cache.
pub const INTERPRETER_FLUSH: &str = "public:ccf.gov.interpreter.flush";
/// Application endpoint definitions.
pub const ENDPOINTS: &str = "public:ccf.gov.endpoints";
/// CA certificate bundles for outgoing TLS and JWT.
pub const TLS_CA_CERT_BUNDLES: &str = "public:ccf.gov.tls.ca_cert_bundles";
/// JWT issuers.
pub const JWT_ISSUERS: &str = "public:ccf.gov.jwt.issuers";
/// JWT signing keys.
pub const JWT_PUBLIC_SIGNING_KEYS: &str = "public:ccf.gov.jwt.public_signing_key";
/// Issuer of each JWT signing key.
pub const JWT_PUBLIC_SIGNING_KEY_ISSUER: &str = "public:ccf.gov.jwt.public_signing_key_issuer";
/// JWT signing key metadata.
pub const JWT_PUBLIC_SIGNING_KEYS_METADATA: &str =
    "public:ccf.gov.jwt.public_signing_keys_metadata";
/// JWT signing key metadata, second version.
pub const JWT_PUBLIC_SIGNING_KEYS_METADATA_V2: &str =
    "public:ccf.gov.jwt.public_signing_keys_metadata_v2";
/// Signed governance requests (classic API).
pub const HISTORY: &str = "public:ccf.gov.history";
/// Signed COSE governance requests.
pub const COSE_HISTORY: &str = "public:ccf.gov.cose_history";
/// Recent COSE proposals, for replay protection.
pub const COSE_RECENT_PROPOSALS: &str = "public:ccf.gov.cose_recent_proposals";
