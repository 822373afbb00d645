//! The anchor of `bench/run.sh`: a bare axum server with one handler that
//! answers `GET /vault` with a small JSON object like vault-api's health
//! check, and nothing else (no middleware, no logging, no storage). The
//! benchmark measures vault-api against it in the same run, on the same
//! machine, so the ratios hold on a noisy shared machine.
//!
//! Listens on 127.0.0.1 and the port in `PORT` (0, the default, picks a free
//! one) and prints `listening <addr>` on stdout.

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

#[derive(Serialize)]
struct Health {
    service: &'static str,
    version: &'static str,
    status: &'static str,
}

async fn health() -> Json<Health> {
    Json(Health {
        service: "vault-api",
        version: "bench",
        status: "ok",
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening {}", listener.local_addr()?);
    axum::serve(listener, Router::new().route("/vault", get(health))).await
}
