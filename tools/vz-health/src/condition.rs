//! Gatus-style conditions: `[STATUS] == any(200, 204)`, `[BODY].status == UP`,
//! `[RESPONSE_TIME] < 300`, `[CERTIFICATE_EXPIRATION] > 48h`, joined with
//! `&&` and `||`.

/// A parsed condition.
#[derive(Clone, Debug)]
pub struct Condition {
    /// As written.
    pub text: String,
}
