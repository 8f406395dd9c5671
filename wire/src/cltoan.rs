//! Requests a tool may send to any MooseFS server (`CLTOAN_*`): to the
//! master on port 9421 and to chunkservers on port 9422 alike.

use crate::variants::LeadingMsgid;
use crate::{messages, records};

records! {
    /// `width:16 height:16` — the PNG size wanted; absent means the default.
    ChartSize { width: u16, height: u16 }
}

messages! {
    /// `-` — counters that only grow, for graphing rates.
    MonotonicData = 502 CLTOAN_MONOTONIC_DATA {}

    /// `chartid:32` (version < 2.0)
    /// `chartid:32 width:16 height:16` (version >= 2.0)
    Chart = 504 CLTOAN_CHART { chartid: u32, size: Option<ChartSize> }

    /// `chartid:32` (version < 2.0.15)
    /// `chartid:32 [ maxentries:32 ]` (version >= 2.0.15; mfscli 3.0.117 sends it)
    ChartData = 506 CLTOAN_CHART_DATA { chartid: u32, maxentries: Option<u32> }

    /// `[ msgid:32 ]` — the master accepts a msgid, a chunkserver only the empty form.
    ModuleInfo = 530 CLTOAN_MODULE_INFO { msgid: LeadingMsgid<0> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Ctx;
    use crate::message::decode_payload;

    #[test]
    fn mfscli_chart_data_request() {
        // mfscli -SMC asks for chart 10*x+range with its entry count.
        let request: ChartData =
            decode_payload(&[0, 0, 0, 12, 0, 0, 0, 100], Ctx::default()).unwrap();
        assert_eq!((request.chartid, request.maxentries), (12, Some(100)));
        let old: Chart = decode_payload(&[0, 0, 0, 1], Ctx::default()).unwrap();
        assert_eq!(old.size, None);
        assert!(decode_payload::<ModuleInfo>(&[0, 0], Ctx::default()).is_err());
    }
}
