//! Real HTTP requests over loopback against [`mooseng_observe::serve`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mooseng_observe::prometheus_client::metrics::counter::Counter;
use mooseng_observe::{serve, Endpoint, Limits, Registry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A running endpoint; dropping it stops the server.
struct Server {
    addr: std::net::SocketAddr,
    _stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(endpoint: Endpoint) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback port");
    let addr = listener.local_addr().expect("bound address");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, Arc::new(endpoint), async move {
        let _ = stopped.await;
    }));
    Server {
        addr,
        _stop: stop,
        task,
    }
}

/// Sends `request` raw and reads until the server closes.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request).await.expect("request sent");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("server closes the connection")
        .expect("answer read");
    String::from_utf8(answer).expect("UTF-8 answer")
}

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    let raw = exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .await;
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head and a body");
    let status = head[9..12].parse().expect("status code");
    assert!(head.contains("\r\nConnection: close"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("Content-Length")
        .parse()
        .expect("a number");
    assert_eq!(length, body.len());
    (status, head.to_owned(), body.to_owned())
}

/// Checks every line of an OpenMetrics text exposition: comments are
/// `HELP`, `TYPE` or `UNIT` of a metric name, samples are
/// `name{labels} value` with a float value, and `# EOF` ends it.
fn assert_text_format(body: &str) {
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "{body}");
    let is_name = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    };
    for line in &lines[..lines.len() - 1] {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let kind = words.next().unwrap_or_default();
            assert!(matches!(kind, "HELP" | "TYPE" | "UNIT"), "{line}");
            assert!(is_name(words.next().unwrap_or("")), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        let name = series.split('{').next().unwrap_or_default();
        assert!(is_name(name), "{line}");
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        assert!(
            value.parse::<f64>().is_ok() || value == "+Inf",
            "value of {line}"
        );
    }
}

#[tokio::test]
async fn health_is_ok_or_names_the_reason() {
    let healthy = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&healthy);
    let server = start(Endpoint::new(Registry::default(), move || {
        if flag.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err("not registered with a master".to_owned())
        }
    }))
    .await;
    let (status, _, body) = get(server.addr, "/health").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    healthy.store(false, Ordering::SeqCst);
    let (status, _, body) = get(server.addr, "/health").await;
    assert_eq!(
        (status, body.as_str()),
        (503, "not registered with a master\n")
    );
}

#[tokio::test]
async fn metrics_are_in_the_text_format_with_registered_counters() {
    let mut registry = Registry::with_prefix("demo");
    let requests = Counter::<u64>::default();
    registry.register("requests", "Requests served", requests.clone());
    requests.inc_by(3);
    let server = start(Endpoint::new(registry, || Ok(()))).await;
    let (status, head, body) = get(server.addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        head.contains("Content-Type: application/openmetrics-text"),
        "{head}"
    );
    assert_text_format(&body);
    assert!(body.contains("# TYPE demo_requests counter\n"), "{body}");
    assert!(body.contains("\ndemo_requests_total 3\n"), "{body}");
}

#[tokio::test]
async fn other_paths_and_methods_are_refused() {
    let server = start(Endpoint::new(Registry::default(), || Ok(()))).await;
    assert_eq!(get(server.addr, "/").await.0, 404);
    assert_eq!(get(server.addr, "/metrics/x").await.0, 404);
    let answer = exchange(server.addr, b"DELETE /metrics HTTP/1.1\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 405 "), "{answer}");
    assert!(answer.contains("\r\nAllow: GET\r\n"), "{answer}");
    let answer = exchange(server.addr, b"hello\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
}

#[tokio::test]
async fn an_oversized_request_is_closed_unserved() {
    let server = start(Endpoint::new(Registry::default(), || Ok(()))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let huge = format!("GET /health HTTP/1.1\r\nX: {}\r\n", "y".repeat(20_000));
    // The server may close before taking it all; that is the point.
    let _ = stream.write_all(huge.as_bytes()).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("closed, not left hanging");
    let answer = String::from_utf8_lossy(&answer);
    // Either the 431 arrives before the close, or the unread rest of our
    // request makes the close a reset; never a 200.
    assert!(
        answer.starts_with("HTTP/1.1 431 ") || (answer.is_empty() && read.is_err()),
        "{answer:?} {read:?}"
    );
}

#[tokio::test]
async fn a_slow_client_is_timed_out() {
    let limits = Limits {
        timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = start(Endpoint::new(Registry::default(), || Ok(())).with_limits(limits)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("closed by the server's deadline");
    assert!(read.is_ok() && answer.is_empty(), "{answer:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn connections_past_the_limit_are_closed_and_shutdown_stops_serving() {
    let limits = Limits {
        max_connections: 1,
        timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let server = start(Endpoint::new(Registry::default(), || Ok(())).with_limits(limits)).await;
    let _idle = TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut refused = TcpStream::connect(server.addr).await.unwrap();
    let _ = refused.write_all(b"GET /health HTTP/1.1\r\n\r\n").await;
    let mut answer = Vec::new();
    // Closed unanswered: an end of stream, or a reset if the close found
    // our request unread.
    let read = tokio::time::timeout(Duration::from_secs(1), refused.read_to_end(&mut answer))
        .await
        .expect("refused at once, not queued");
    assert!(
        answer.is_empty(),
        "refused while the one slot is taken: {read:?}"
    );

    let Server { addr, _stop, task } = server;
    drop(_stop);
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("serve returns on shutdown")
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}
