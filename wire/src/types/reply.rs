//! "Status or payload" answers.
//!
//! Most master replies are `msgid:32 status:8` on failure and `msgid:32
//! payload` on success; MooseFS tells them apart by length alone (exactly one
//! byte after the msgid is a status), and so do we.

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Wire};
use crate::types::status::Status;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<T> {
    Status(Status),
    Ok(T),
}

impl<T> Reply<T> {
    /// The status the client will see: `OK` for a payload.
    pub fn status(&self) -> Status {
        match self {
            Reply::Status(status) => *status,
            Reply::Ok(_) => Status::OK,
        }
    }

    pub fn ok(self) -> Result<T, Status> {
        match self {
            Reply::Ok(value) => Ok(value),
            Reply::Status(status) => Err(status),
        }
    }
}

impl<T: Wire> Wire for Reply<T> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.len() == 1 {
            let (rest, status) = Status::decode(input, ctx)?;
            return Ok((rest, Reply::Status(status)));
        }
        let (rest, value) = T::decode(input, ctx)?;
        Ok((rest, Reply::Ok(value)))
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            Reply::Status(status) => status.encode(out),
            Reply::Ok(value) => value.encode(out),
        }
    }
}
