//! What the two routes answer, independent of the socket.

use std::fmt;

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

use crate::http::{Limits, Request, Response};

/// The daemon's health check: `Ok` when it is fit to serve, otherwise why
/// not (one line, shown in the `503` body). It may block briefly (a
/// `statvfs`, say): it runs on a blocking thread.
pub type HealthCheck = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

/// Says more about a healthy daemon (a master's role in its group); its
/// line follows `ok` in the `200` body.
pub type Detail = Box<dyn Fn() -> String + Send + Sync>;

/// Runs before every `/metrics` answer to bring gauges up to date from live
/// state. May block briefly, like [`HealthCheck`].
pub type Refresh = Box<dyn Fn() + Send + Sync>;

/// Media type of the OpenMetrics text format, which `prometheus-client`
/// writes (it ends with `# EOF`).
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A daemon's registry and health check, served by [`crate::serve`].
pub struct Endpoint {
    registry: Registry,
    health: HealthCheck,
    detail: Option<Detail>,
    refresh: Option<Refresh>,
    limits: Limits,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("registry", &self.registry)
            .field("refresh", &self.refresh.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint answering `registry` on `/metrics` and `health` on
    /// `/health`, with the default [`Limits`].
    pub fn new(
        registry: Registry,
        health: impl Fn() -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Endpoint {
            registry,
            health: Box::new(health),
            detail: None,
            refresh: None,
            limits: Limits::default(),
        }
    }

    /// Runs `refresh` before encoding each `/metrics` answer.
    pub fn with_refresh(mut self, refresh: impl Fn() + Send + Sync + 'static) -> Self {
        self.refresh = Some(Box::new(refresh));
        self
    }

    /// Adds the line `detail` gives to every `200` answer of `/health`.
    pub fn with_detail(mut self, detail: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.detail = Some(Box::new(detail));
        self
    }

    /// Replaces the default bounds on connections.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The answer to `request`. Runs the hooks, so call it where blocking
    /// is allowed.
    pub(crate) fn answer(&self, request: &Request) -> Response {
        let route = match request.path() {
            "/health" => Route::Health,
            "/metrics" => Route::Metrics,
            _ => return Response::text(404, "Not Found", "not found\n"),
        };
        if request.method != "GET" {
            return Response::text(405, "Method Not Allowed", "only GET\n").allowing("GET");
        }
        match route {
            Route::Health => match (self.health)() {
                Ok(()) => match &self.detail {
                    Some(detail) => Response::text(200, "OK", &format!("ok\n{}\n", detail())),
                    None => Response::text(200, "OK", "ok\n"),
                },
                Err(reason) => Response::text(503, "Service Unavailable", &format!("{reason}\n")),
            },
            Route::Metrics => {
                if let Some(refresh) = &self.refresh {
                    refresh();
                }
                let mut body = String::new();
                match encode(&mut body, &self.registry) {
                    Ok(()) => Response {
                        content_type: OPENMETRICS,
                        ..Response::text(200, "OK", &body)
                    },
                    Err(_) => Response::text(500, "Internal Server Error", "encoding failed\n"),
                }
            }
        }
    }
}

enum Route {
    Health,
    Metrics,
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::counter::Counter;

    use super::*;

    fn get(path: &str) -> Request {
        Request {
            method: "GET".to_owned(),
            target: path.to_owned(),
        }
    }

    #[test]
    fn routes_methods_and_query_strings() {
        let endpoint = Endpoint::new(Registry::default(), || Ok(()));
        assert_eq!(endpoint.answer(&get("/health")).status, 200);
        assert_eq!(endpoint.answer(&get("/health?verbose=1")).status, 200);
        assert_eq!(endpoint.answer(&get("/healthz")).status, 404);
        assert_eq!(endpoint.answer(&get("/")).status, 404);
        let post = Request {
            method: "POST".to_owned(),
            target: "/metrics".to_owned(),
        };
        let answer = endpoint.answer(&post);
        assert_eq!((answer.status, answer.allow), (405, Some("GET")));
    }

    #[test]
    fn a_detail_follows_ok() {
        let endpoint = Endpoint::new(Registry::default(), || Ok(()))
            .with_detail(|| "role=follower leader=10.0.0.1".to_owned());
        let answer = endpoint.answer(&get("/health"));
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, b"ok\nrole=follower leader=10.0.0.1\n");
    }

    #[test]
    fn refresh_runs_before_encoding() {
        let mut registry = Registry::default();
        let counter = Counter::<u64>::default();
        registry.register("refreshes", "times refreshed", counter.clone());
        let seen = counter.clone();
        let endpoint = Endpoint::new(registry, || Ok(())).with_refresh(move || {
            seen.inc();
        });
        let body = String::from_utf8(endpoint.answer(&get("/metrics")).body).unwrap();
        assert!(body.contains("refreshes_total 1\n"), "{body}");
        assert!(body.ends_with("# EOF\n"), "{body}");
    }
}
