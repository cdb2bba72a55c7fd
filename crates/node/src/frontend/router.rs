//! The immutable routing table: path templates (matchit) to the endpoints registered on them,
//! one entry per template holding every method. A table is built whole and then only read, so
//! dispatch takes no lock; changes build a new table (see [`super::registry`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, Version};

use super::auth::{AuthFailure, AuthRequest, authenticate};
use super::caller::Caller;
use super::endpoint::Endpoint;
use super::error::FrontendError;
use super::error_code;
use super::request::EndpointRequest;
use super::response::EndpointResponse;

/// A whole request, its body read, ready to route.
#[derive(Clone, Debug)]
pub struct RoutedRequest {
    pub method: Method,
    pub uri: Uri,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Endpoints sharing one path template.
#[derive(Debug)]
struct TemplateEndpoints {
    endpoints: Vec<Arc<Endpoint>>,
}

/// A routing table.
#[derive(Debug)]
pub struct Router {
    templates: matchit::Router<TemplateEndpoints>,
    all: Vec<Arc<Endpoint>>,
    endpoint_count: usize,
}

/// The outcome of routing one request.
#[derive(Debug)]
pub(crate) enum Route<'r> {
    Found {
        endpoint: &'r Arc<Endpoint>,
        path_params: BTreeMap<String, String>,
    },
    /// The path matches a template that has none of the request's method.
    MethodNotAllowed {
        allowed: Vec<Method>,
    },
    NotFound,
}

impl Router {
    /// A table with no endpoints: every path is 404.
    pub fn empty() -> Router {
        Router {
            templates: matchit::Router::new(),
            all: Vec::new(),
            endpoint_count: 0,
        }
    }

    /// Builds a table. Fails on a template matchit cannot parse, on two templates that match the
    /// same paths, and on a method registered twice on a template; templates are checked in the
    /// order given, so the error names the later of two conflicting ones.
    pub fn new(endpoints: impl IntoIterator<Item = Endpoint>) -> Result<Router, FrontendError> {
        let mut order: Vec<(String, Vec<Arc<Endpoint>>)> = Vec::new();
        let mut index_of: HashMap<String, usize> = HashMap::new();
        let mut endpoint_count = 0;
        for endpoint in endpoints {
            if !endpoint.path_template.starts_with('/') {
                return Err(FrontendError::InvalidPathTemplate {
                    template: endpoint.path_template.clone(),
                    reason: "a template starts with '/'".into(),
                });
            }
            let index = *index_of
                .entry(endpoint.path_template.clone())
                .or_insert_with(|| {
                    order.push((endpoint.path_template.clone(), Vec::new()));
                    order.len() - 1
                });
            let same_template = &mut order[index].1;
            if same_template.iter().any(|e| e.method == endpoint.method) {
                return Err(FrontendError::DuplicateEndpoint {
                    method: endpoint.method.clone(),
                    template: endpoint.path_template.clone(),
                });
            }
            same_template.push(Arc::new(endpoint));
            endpoint_count += 1;
        }
        let mut templates = matchit::Router::new();
        let all = order
            .iter()
            .flat_map(|(_, endpoints)| endpoints.iter().cloned())
            .collect();
        for (template, endpoints) in order {
            templates
                .insert(template.clone(), TemplateEndpoints { endpoints })
                .map_err(|error| match error {
                    matchit::InsertError::Conflict { with } => FrontendError::ConflictingTemplate {
                        template,
                        existing: with,
                    },
                    other => FrontendError::InvalidPathTemplate {
                        template,
                        reason: other.to_string(),
                    },
                })?;
        }
        Ok(Router {
            templates,
            all,
            endpoint_count,
        })
    }

    /// How many endpoints the table holds.
    pub fn len(&self) -> usize {
        self.endpoint_count
    }

    pub fn is_empty(&self) -> bool {
        self.endpoint_count == 0
    }

    /// Routes `request`, runs the endpoint's auth policies for `caller` and calls its handler;
    /// unknown paths, other methods and refused callers get CCF's error responses. The
    /// frontend calls this for every request; the node also calls it for requests a backup
    /// forwarded, with the caller the backup saw.
    pub async fn call(&self, request: RoutedRequest, caller: Arc<Caller>) -> EndpointResponse {
        let path = request.uri.path();
        let (endpoint, path_params) = match self.route(&request.method, path) {
            Route::Found {
                endpoint,
                path_params,
            } => (Arc::clone(endpoint), path_params),
            Route::NotFound => {
                return EndpointResponse::error(
                    StatusCode::NOT_FOUND,
                    error_code::RESOURCE_NOT_FOUND,
                    format!("Unknown path: {path}."),
                );
            }
            Route::MethodNotAllowed { allowed } => {
                return super::dispatch::method_not_allowed(&request.method, path, &allowed);
            }
        };
        let authenticated = authenticate(
            &endpoint.auth_policies,
            &AuthRequest {
                caller: &caller,
                headers: &request.headers,
                body: &request.body,
            },
        );
        let identity = match authenticated {
            Ok(identity) => identity,
            Err(failure) => return unauthorized(&failure),
        };
        endpoint
            .handler
            .call(EndpointRequest {
                method: request.method,
                uri: request.uri,
                version: request.version,
                headers: request.headers,
                body: request.body,
                path_params,
                caller,
                identity,
                mode: endpoint.mode,
                forwarding: endpoint.forwarding,
            })
            .await
    }

    /// Every endpoint in the table, for listings such as the OpenAPI document.
    pub fn endpoints(&self) -> Vec<Arc<Endpoint>> {
        self.all.clone()
    }

    /// Finds the endpoint for a method and a path (without the query).
    pub(crate) fn route(&self, method: &Method, path: &str) -> Route<'_> {
        let Ok(matched) = self.templates.at(path) else {
            return Route::NotFound;
        };
        let endpoints = &matched.value.endpoints;
        match endpoints.iter().find(|e| e.method == *method) {
            Some(endpoint) => Route::Found {
                endpoint,
                path_params: matched
                    .params
                    .iter()
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect(),
            },
            None => Route::MethodNotAllowed {
                allowed: endpoints.iter().map(|e| e.method.clone()).collect(),
            },
        }
    }
}

/// The 401 for a request no policy accepted: CCF's error body with every policy's reason in
/// the message, and (as CCF sends) the last policy's `WWW-Authenticate` challenge.
fn unauthorized(failure: &AuthFailure) -> EndpointResponse {
    let response = EndpointResponse::error(
        StatusCode::UNAUTHORIZED,
        error_code::INVALID_AUTHENTICATION_INFO,
        format!("Invalid authentication credentials: {}.", failure.message()),
    );
    match failure.challenge {
        Some(challenge) => {
            response.with_header(WWW_AUTHENTICATE, HeaderValue::from_static(challenge))
        }
        None => response,
    }
}
