//! Shutdown signals: SIGTERM (what ECS sends when stopping a task) and
//! Ctrl-C (SIGINT, for local runs).

/// Which signal asked us to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Terminate,
    Interrupt,
}

/// Handlers for SIGTERM and SIGINT, registered when this value is created.
///
/// Registration is eager on purpose: `tokio::signal::ctrl_c()` registers only
/// when first polled, and a future handed to the server is first polled on a
/// spawned task. Under load that task could run after the first request was
/// served, and a signal arriving in between killed the process with the default
/// action instead of draining. Install before binding the listener, so that
/// once the service answers, a signal always means a graceful shutdown.
pub struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers the handlers. Fails only if the OS refuses them.
    pub fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Resolves when the process receives SIGTERM or SIGINT.
    pub async fn recv(self) -> Signal {
        #[cfg(unix)]
        {
            let Signals {
                mut terminate,
                mut interrupt,
            } = self;
            tokio::select! {
                _ = terminate.recv() => Signal::Terminate,
                _ = interrupt.recv() => Signal::Interrupt,
            }
        }
        #[cfg(not(unix))]
        {
            let Signals {} = self;
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            Signal::Interrupt
        }
    }
}
