//! Building routing tables and validating limits: the typed errors a node gets for endpoint
//! sets or interface settings that cannot work.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::{Method, StatusCode};
use quorate_crypto::KeyPair;
use quorate_node::frontend::{
    Endpoint, EndpointRegistry, EndpointRequest, EndpointResponse, ExecutionMode, ForwardingRule,
    FrontendError, FrontendLimits, Router, server_tls_config,
};

async fn ok(_: EndpointRequest) -> EndpointResponse {
    EndpointResponse::new(StatusCode::OK)
}

fn get(template: &str) -> Endpoint {
    Endpoint::new(Method::GET, template, vec![], ok)
}

#[test]
fn templates_matching_the_same_paths_conflict() {
    let error = Router::new([get("/nodes/{node_id}"), get("/nodes/{id}")]).unwrap_err();
    assert!(
        matches!(
            &error,
            FrontendError::ConflictingTemplate { template, existing }
                if template == "/nodes/{id}" && existing == "/nodes/{node_id}"
        ),
        "{error:?}"
    );
}

#[test]
fn a_method_registered_twice_on_a_template_is_refused() {
    let error = Router::new([get("/log/private"), get("/log/private")]).unwrap_err();
    assert!(
        matches!(
            &error,
            FrontendError::DuplicateEndpoint { method, template }
                if method == Method::GET && template == "/log/private"
        ),
        "{error:?}"
    );
}

#[test]
fn malformed_templates_are_refused() {
    for template in ["log/private", "/log/{unclosed", "/x/{a}{b}"] {
        let error = Router::new([get(template)]).unwrap_err();
        assert!(
            matches!(&error, FrontendError::InvalidPathTemplate { template: t, .. } if t == template),
            "{template}: {error:?}"
        );
    }
}

#[test]
fn static_segments_and_parameters_coexist_and_methods_share_a_template() {
    let router = Router::new([
        get("/node/network/nodes/{node_id}"),
        get("/node/network/nodes/self"),
        Endpoint::new(Method::DELETE, "/node/network/nodes/{node_id}", vec![], ok),
    ])
    .unwrap();
    assert_eq!(router.len(), 3);
    let registry = EndpointRegistry::new(Router::empty());
    assert!(registry.current().is_empty());
    let previous = registry.replace(router);
    assert!(previous.is_empty());
    assert_eq!(registry.current().len(), 3);
}

#[test]
fn endpoints_carry_mode_and_forwarding_as_data() {
    let endpoint = get("/log/private");
    assert_eq!(endpoint.mode(), ExecutionMode::ReadWrite);
    assert_eq!(endpoint.forwarding(), ForwardingRule::Sometimes);
    let endpoint = endpoint
        .with_mode(ExecutionMode::ReadOnly)
        .with_forwarding(ForwardingRule::Never);
    assert_eq!(endpoint.mode(), ExecutionMode::ReadOnly);
    assert_eq!(endpoint.forwarding(), ForwardingRule::Never);
    assert_eq!(endpoint.path_template(), "/log/private");
    assert_eq!(endpoint.method(), Method::GET);
}

#[test]
fn limits_hyper_or_h2_cannot_honour_are_refused() {
    assert!(FrontendLimits::default().validate().is_ok());
    let cases: [fn(&mut FrontendLimits); 6] = [
        |l| l.max_open_sessions_soft = l.max_open_sessions_hard + 1,
        |l| l.max_header_size_bytes = 0,
        |l| l.http2_max_frame_size_bytes = 1024,
        |l| l.max_headers_count = 0,
        |l| l.request_timeout = std::time::Duration::ZERO,
        |l| l.idle_connection_timeout = std::time::Duration::ZERO,
    ];
    for adjust in cases {
        let mut limits = FrontendLimits::default();
        adjust(&mut limits);
        assert!(
            matches!(limits.validate(), Err(FrontendError::InvalidLimit(_))),
            "{limits:?}"
        );
    }
}

#[test]
fn a_tls_config_needs_a_chain_and_the_matching_key() {
    let key = KeyPair::generate().unwrap();
    assert!(matches!(
        server_tls_config(&[], &key),
        Err(FrontendError::EmptyCertificateChain)
    ));
    let other_key = KeyPair::generate().unwrap();
    let validity = quorate_crypto::Validity {
        not_before_unix_s: 0,
        not_after_unix_s: 4_000_000_000,
    };
    let cert =
        quorate_crypto::create_self_signed_certificate(&other_key, "node", &[], &validity, 1)
            .unwrap();
    assert!(matches!(
        server_tls_config(std::slice::from_ref(&cert), &key),
        Err(FrontendError::Tls(_))
    ));
    assert!(server_tls_config(&[cert], &other_key).is_ok());
}
