//! The eight directions of the four MooseFS channels, each with the enum of
//! messages that side may send, and a runtime selector for tools that learn
//! the direction from TCP ports (the capture decoder, the replayer).

use crate::antoan;
use crate::cltoma;
use crate::codec::Ctx;
use crate::direction;
use crate::matocl;
use crate::message::{DecodeError, MessageInfo};
use crate::{antocl, cltoan, cltoma_info, cs_info, matocl_info};
use crate::{antocs, antoma, cltocs, cstoan, cstocl, cstoma, matoan, matocs};

/// The well-known ports of a MooseFS cluster.
pub mod port {
    pub const MASTER_FOR_METALOGGERS: u16 = 9419;
    pub const MASTER_FOR_CHUNKSERVERS: u16 = 9420;
    pub const MASTER_FOR_CLIENTS: u16 = 9421;
    pub const CHUNKSERVER: u16 = 9422;
}

direction! {
    /// Port 9421, towards the master: `mfsmount`, the `mfs*` tools and `mfscli`.
    ClientToMaster {
        Nop(antoan::Nop),
        UnknownCommand(antoan::UnknownCommand),
        BadCommandSize(antoan::BadCommandSize),
        GetVersion(antoan::GetVersion),
        GetConfig(antoan::GetConfig),
        SclassCreate(cltoma::SclassCreate),
        SclassChange(cltoma::SclassChange),
        SclassDelete(cltoma::SclassDelete),
        SclassDuplicate(cltoma::SclassDuplicate),
        SclassRename(cltoma::SclassRename),
        SclassList(cltoma::SclassList),
        FuseRegister(cltoma::FuseRegister),
        FuseStatfs(cltoma::FuseStatfs),
        FuseAccess(cltoma::FuseAccess),
        FuseLookup(cltoma::FuseLookup),
        FuseGetattr(cltoma::FuseGetattr),
        FuseSetattr(cltoma::FuseSetattr),
        FuseReadlink(cltoma::FuseReadlink),
        FuseSymlink(cltoma::FuseSymlink),
        FuseMknod(cltoma::FuseMknod),
        FuseMkdir(cltoma::FuseMkdir),
        FuseUnlink(cltoma::FuseUnlink),
        FuseRmdir(cltoma::FuseRmdir),
        FuseRename(cltoma::FuseRename),
        FuseLink(cltoma::FuseLink),
        FuseReaddir(cltoma::FuseReaddir),
        FuseOpen(cltoma::FuseOpen),
        FuseReadChunk(cltoma::FuseReadChunk),
        FuseWriteChunk(cltoma::FuseWriteChunk),
        FuseWriteChunkEnd(cltoma::FuseWriteChunkEnd),
        FuseAppendSlice(cltoma::FuseAppendSlice),
        FuseCheck(cltoma::FuseCheck),
        FuseGettrashtime(cltoma::FuseGettrashtime),
        FuseSettrashtime(cltoma::FuseSettrashtime),
        FuseGetsclass(cltoma::FuseGetsclass),
        FuseSetsclass(cltoma::FuseSetsclass),
        FuseGettrash(cltoma::FuseGettrash),
        FuseGetdetachedattr(cltoma::FuseGetdetachedattr),
        FuseGettrashpath(cltoma::FuseGettrashpath),
        FuseSettrashpath(cltoma::FuseSettrashpath),
        FuseUndel(cltoma::FuseUndel),
        FusePurge(cltoma::FusePurge),
        FuseGetdirstats(cltoma::FuseGetdirstats),
        FuseTruncate(cltoma::FuseTruncate),
        FuseRepair(cltoma::FuseRepair),
        FuseSnapshot(cltoma::FuseSnapshot),
        FuseGetsustained(cltoma::FuseGetsustained),
        FuseGeteattr(cltoma::FuseGeteattr),
        FuseSeteattr(cltoma::FuseSeteattr),
        FuseQuotacontrol(cltoma::FuseQuotacontrol),
        FuseGetxattr(cltoma::FuseGetxattr),
        FuseSetxattr(cltoma::FuseSetxattr),
        FuseCreate(cltoma::FuseCreate),
        FuseParents(cltoma::FuseParents),
        FusePaths(cltoma::FusePaths),
        FuseGetfacl(cltoma::FuseGetfacl),
        FuseSetfacl(cltoma::FuseSetfacl),
        FuseFlock(cltoma::FuseFlock),
        FusePosixLock(cltoma::FusePosixLock),
        FuseArchctl(cltoma::FuseArchctl),
        FuseFsync(cltoma::FuseFsync),
        FuseSustainedInodesDeprecated(cltoma::FuseSustainedInodesDeprecated),
        FuseSustainedInodes(cltoma::FuseSustainedInodes),
        FuseAmtimeInodes(cltoma::FuseAmtimeInodes),
        FuseTimeSync(cltoma::FuseTimeSync),
        CservList(cltoma_info::CservList),
        MonotonicData(cltoan::MonotonicData),
        Chart(cltoan::Chart),
        ChartData(cltoan::ChartData),
        SessionList(cltoma_info::SessionList),
        Info(cltoma_info::Info),
        FstestInfo(cltoma_info::FstestInfo),
        ChunkstestInfo(cltoma_info::ChunkstestInfo),
        ChunksMatrix(cltoma_info::ChunksMatrix),
        QuotaInfo(cltoma_info::QuotaInfo),
        ExportsInfo(cltoma_info::ExportsInfo),
        MlogList(cltoma_info::MlogList),
        CsservCommand(cltoma_info::CsservCommand),
        SessionCommand(cltoma_info::SessionCommand),
        MemoryInfo(cltoma_info::MemoryInfo),
        ModuleInfo(cltoan::ModuleInfo),
        ListOpenFiles(cltoma_info::ListOpenFiles),
        ListAcquiredLocks(cltoma_info::ListAcquiredLocks),
        MassResolvePaths(cltoma_info::MassResolvePaths),
        SclassInfo(cltoma_info::SclassInfo),
        MissingChunks(cltoma_info::MissingChunks),
        NodeInfo(cltoma_info::NodeInfo),
    }
}

direction! {
    /// Port 9421, from the master to clients and tools.
    MasterToClient {
        Nop(antoan::Nop),
        UnknownCommand(antoan::UnknownCommand),
        BadCommandSize(antoan::BadCommandSize),
        VersionAnswer(antoan::VersionAnswer),
        ConfigValue(antoan::ConfigValue),
        SclassCreateReply(matocl::SclassCreateReply),
        SclassChangeReply(matocl::SclassChangeReply),
        SclassDeleteReply(matocl::SclassDeleteReply),
        SclassDuplicateReply(matocl::SclassDuplicateReply),
        SclassRenameReply(matocl::SclassRenameReply),
        SclassListReply(matocl::SclassListReply),
        FuseRegisterReply(matocl::FuseRegisterReply),
        FuseStatfsReply(matocl::FuseStatfsReply),
        FuseAccessReply(matocl::FuseAccessReply),
        FuseLookupReply(matocl::FuseLookupReply),
        FuseGetattrReply(matocl::FuseGetattrReply),
        FuseSetattrReply(matocl::FuseSetattrReply),
        FuseReadlinkReply(matocl::FuseReadlinkReply),
        FuseSymlinkReply(matocl::FuseSymlinkReply),
        FuseMknodReply(matocl::FuseMknodReply),
        FuseMkdirReply(matocl::FuseMkdirReply),
        FuseUnlinkReply(matocl::FuseUnlinkReply),
        FuseRmdirReply(matocl::FuseRmdirReply),
        FuseRenameReply(matocl::FuseRenameReply),
        FuseLinkReply(matocl::FuseLinkReply),
        FuseReaddirReply(matocl::FuseReaddirReply),
        FuseOpenReply(matocl::FuseOpenReply),
        FuseReadChunkReply(matocl::FuseReadChunkReply),
        FuseWriteChunkReply(matocl::FuseWriteChunkReply),
        FuseWriteChunkEndReply(matocl::FuseWriteChunkEndReply),
        FuseAppendSliceReply(matocl::FuseAppendSliceReply),
        FuseCheckReply(matocl::FuseCheckReply),
        FuseGettrashtimeReply(matocl::FuseGettrashtimeReply),
        FuseSettrashtimeReply(matocl::FuseSettrashtimeReply),
        FuseGetsclassReply(matocl::FuseGetsclassReply),
        FuseSetsclassReply(matocl::FuseSetsclassReply),
        FuseGettrashReply(matocl::FuseGettrashReply),
        FuseGetdetachedattrReply(matocl::FuseGetdetachedattrReply),
        FuseGettrashpathReply(matocl::FuseGettrashpathReply),
        FuseSettrashpathReply(matocl::FuseSettrashpathReply),
        FuseUndelReply(matocl::FuseUndelReply),
        FusePurgeReply(matocl::FusePurgeReply),
        FuseGetdirstatsReply(matocl::FuseGetdirstatsReply),
        FuseTruncateReply(matocl::FuseTruncateReply),
        FuseRepairReply(matocl::FuseRepairReply),
        FuseSnapshotReply(matocl::FuseSnapshotReply),
        FuseGetsustainedReply(matocl::FuseGetsustainedReply),
        FuseGeteattrReply(matocl::FuseGeteattrReply),
        FuseSeteattrReply(matocl::FuseSeteattrReply),
        FuseQuotacontrolReply(matocl::FuseQuotacontrolReply),
        FuseGetxattrReply(matocl::FuseGetxattrReply),
        FuseSetxattrReply(matocl::FuseSetxattrReply),
        FuseCreateReply(matocl::FuseCreateReply),
        FuseParentsReply(matocl::FuseParentsReply),
        FusePathsReply(matocl::FusePathsReply),
        FuseGetfaclReply(matocl::FuseGetfaclReply),
        FuseSetfaclReply(matocl::FuseSetfaclReply),
        FuseFlockReply(matocl::FuseFlockReply),
        FusePosixLockReply(matocl::FusePosixLockReply),
        FuseArchctlReply(matocl::FuseArchctlReply),
        FuseFsyncReply(matocl::FuseFsyncReply),
        FuseChunkHasChanged(matocl::FuseChunkHasChanged),
        FuseFlengHasChanged(matocl::FuseFlengHasChanged),
        FuseTimeSyncReply(matocl::FuseTimeSyncReply),
        FuseInvalidateChunkCache(matocl::FuseInvalidateChunkCache),
        CservList(matocl_info::CservList),
        MonotonicData(antocl::MonotonicData),
        Chart(antocl::Chart),
        ChartData(antocl::ChartData),
        SessionList(matocl_info::SessionList),
        Info(matocl_info::Info),
        FstestInfo(matocl_info::FstestInfo),
        ChunkstestInfo(matocl_info::ChunkstestInfo),
        ChunksMatrix(matocl_info::ChunksMatrix),
        QuotaInfo(matocl_info::QuotaInfo),
        ExportsInfo(matocl_info::ExportsInfo),
        MlogList(matocl_info::MlogList),
        CsservCommand(matocl_info::CsservCommand),
        SessionCommand(matocl_info::SessionCommand),
        MemoryInfo(matocl_info::MemoryInfo),
        ModuleInfo(antocl::ModuleInfo),
        ListOpenFiles(matocl_info::ListOpenFiles),
        ListAcquiredLocks(matocl_info::ListAcquiredLocks),
        MassResolvePaths(matocl_info::MassResolvePaths),
        SclassInfo(matocl_info::SclassInfo),
        MissingChunks(matocl_info::MissingChunks),
        NodeInfo(matocl_info::NodeInfo),
    }
}

direction! {
    /// Port 9420, from chunkservers to the master.
    ChunkserverToMaster {
        Nop(antoan::Nop),
        UnknownCommand(antoan::UnknownCommand),
        BadCommandSize(antoan::BadCommandSize),
        GetVersion(antoan::GetVersion),
        GetConfig(antoan::GetConfig),
        Register(cstoma::Register),
        Space(cstoma::Space),
        ChunkDamaged(cstoma::ChunkDamaged),
        CurrentLoad(cstoma::CurrentLoad),
        ChunkLost(cstoma::ChunkLost),
        ErrorOccurred(cstoma::ErrorOccurred),
        ChunkNew(cstoma::ChunkNew),
        Labels(cstoma::Labels),
        Create(cstoma::Create),
        Delete(cstoma::Delete),
        Duplicate(cstoma::Duplicate),
        SetVersion(cstoma::SetVersion),
        Replicate(cstoma::Replicate),
        Chunkop(cstoma::Chunkop),
        Truncate(cstoma::Truncate),
        Duptrunc(cstoma::Duptrunc),
        ChunkBlocks(cstoan::ChunkBlocks),
        ChunkChecksum(cstoan::ChunkChecksum),
        ChunkChecksumTab(cstoan::ChunkChecksumTab),
    }
}

direction! {
    /// Port 9420, from the master to chunkservers.
    MasterToChunkserver {
        Nop(antoan::Nop),
        UnknownCommand(antoan::UnknownCommand),
        BadCommandSize(antoan::BadCommandSize),
        VersionAnswer(antoan::VersionAnswer),
        ConfigValue(antoan::ConfigValue),
        MasterAck(matocs::MasterAck),
        Create(matocs::Create),
        Delete(matocs::Delete),
        Duplicate(matocs::Duplicate),
        SetVersion(matocs::SetVersion),
        Replicate(matocs::Replicate),
        Chunkop(matocs::Chunkop),
        Truncate(matocs::Truncate),
        Duptrunc(matocs::Duptrunc),
        GetChunkBlocks(antocs::GetChunkBlocks),
        GetChunkChecksum(antocs::GetChunkChecksum),
        GetChunkChecksumTab(antocs::GetChunkChecksumTab),
    }
}

direction! {
    /// Port 9422, towards a chunkserver: clients reading and writing, other
    /// chunkservers replicating or forwarding a write chain, tools.
    ToChunkserver {
        Nop(antoan::Nop),
        UnknownCommand(antoan::UnknownCommand),
        BadCommandSize(antoan::BadCommandSize),
        GetVersion(antoan::GetVersion),
        GetConfig(antoan::GetConfig),
        Read(cltocs::Read),
        Write(cltocs::Write),
        WriteData(cltocs::WriteData),
        WriteFinish(cltocs::WriteFinish),
        GetChunkBlocks(antocs::GetChunkBlocks),
        GetChunkChecksum(antocs::GetChunkChecksum),
        GetChunkChecksumTab(antocs::GetChunkChecksumTab),
        MonotonicData(cltoan::MonotonicData),
        Chart(cltoan::Chart),
        ChartData(cltoan::ChartData),
        ModuleInfo(cltoan::ModuleInfo),
        HddList(cs_info::HddList),
    }
}

direction! {
    /// Port 9422, answers of a chunkserver.
    FromChunkserver {
        Nop(antoan::Nop),
        UnknownCommand(antoan::UnknownCommand),
        BadCommandSize(antoan::BadCommandSize),
        VersionAnswer(antoan::VersionAnswer),
        ConfigValue(antoan::ConfigValue),
        ReadStatus(cstocl::ReadStatus),
        ReadData(cstocl::ReadData),
        WriteStatus(cstocl::WriteStatus),
        ChunkBlocks(cstoan::ChunkBlocks),
        ChunkChecksum(cstoan::ChunkChecksum),
        ChunkChecksumTab(cstoan::ChunkChecksumTab),
        MonotonicData(antocl::CsMonotonicData),
        Chart(antocl::Chart),
        ChartData(antocl::ChartData),
        ModuleInfo(antocl::ModuleInfo),
        HddList(cs_info::HddListAnswer),
    }
}

direction! {
    /// Port 9419, from metaloggers (and other masters' downloads) to the master.
    MetaloggerToMaster {
        Nop(antoan::Nop),
        UnknownCommand(antoan::UnknownCommand),
        BadCommandSize(antoan::BadCommandSize),
        GetVersion(antoan::GetVersion),
        GetConfig(antoan::GetConfig),
        Register(antoma::Register),
        DownloadStart(antoma::DownloadStart),
        DownloadRequest(antoma::DownloadRequest),
        DownloadEnd(antoma::DownloadEnd),
    }
}

direction! {
    /// Port 9419, from the master to metaloggers.
    MasterToMetalogger {
        Nop(antoan::Nop),
        UnknownCommand(antoan::UnknownCommand),
        BadCommandSize(antoan::BadCommandSize),
        VersionAnswer(antoan::VersionAnswer),
        ConfigValue(antoan::ConfigValue),
        MetachangesLog(matoan::MetachangesLog),
        DownloadInfo(matoan::DownloadInfo),
        DownloadData(matoan::DownloadData),
    }
}

/// One side of one channel, chosen at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    ClientToMaster,
    MasterToClient,
    ChunkserverToMaster,
    MasterToChunkserver,
    ToChunkserver,
    FromChunkserver,
    MetaloggerToMaster,
    MasterToMetalogger,
}

/// A decoded message of any direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyMessage {
    ClientToMaster(ClientToMaster),
    MasterToClient(MasterToClient),
    ChunkserverToMaster(ChunkserverToMaster),
    MasterToChunkserver(MasterToChunkserver),
    ToChunkserver(ToChunkserver),
    FromChunkserver(FromChunkserver),
    MetaloggerToMaster(MetaloggerToMaster),
    MasterToMetalogger(MasterToMetalogger),
}

macro_rules! for_each_direction {
    ($value:expr, $inner:ident => $body:expr) => {
        match $value {
            AnyMessage::ClientToMaster($inner) => $body,
            AnyMessage::MasterToClient($inner) => $body,
            AnyMessage::ChunkserverToMaster($inner) => $body,
            AnyMessage::MasterToChunkserver($inner) => $body,
            AnyMessage::ToChunkserver($inner) => $body,
            AnyMessage::FromChunkserver($inner) => $body,
            AnyMessage::MetaloggerToMaster($inner) => $body,
            AnyMessage::MasterToMetalogger($inner) => $body,
        }
    };
}

impl AnyMessage {
    pub fn code(&self) -> u32 {
        for_each_direction!(self, m => m.code())
    }

    pub fn name(&self) -> &'static str {
        for_each_direction!(self, m => m.name())
    }

    pub fn encode_payload(&self, out: &mut bytes::BytesMut) {
        for_each_direction!(self, m => m.encode_payload(out))
    }
}

impl Direction {
    pub const ALL: [Direction; 8] = [
        Direction::ClientToMaster,
        Direction::MasterToClient,
        Direction::ChunkserverToMaster,
        Direction::MasterToChunkserver,
        Direction::ToChunkserver,
        Direction::FromChunkserver,
        Direction::MetaloggerToMaster,
        Direction::MasterToMetalogger,
    ];

    /// The direction of traffic sent to a server listening on `port`.
    pub fn towards(port: u16) -> Option<Direction> {
        match port {
            port::MASTER_FOR_CLIENTS => Some(Direction::ClientToMaster),
            port::MASTER_FOR_CHUNKSERVERS => Some(Direction::ChunkserverToMaster),
            port::CHUNKSERVER => Some(Direction::ToChunkserver),
            port::MASTER_FOR_METALOGGERS => Some(Direction::MetaloggerToMaster),
            _ => None,
        }
    }

    /// The opposite side of the same channel.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToMaster => Direction::MasterToClient,
            Direction::MasterToClient => Direction::ClientToMaster,
            Direction::ChunkserverToMaster => Direction::MasterToChunkserver,
            Direction::MasterToChunkserver => Direction::ChunkserverToMaster,
            Direction::ToChunkserver => Direction::FromChunkserver,
            Direction::FromChunkserver => Direction::ToChunkserver,
            Direction::MetaloggerToMaster => Direction::MasterToMetalogger,
            Direction::MasterToMetalogger => Direction::MetaloggerToMaster,
        }
    }

    /// The largest payload MooseFS 3.0.117 accepts in this direction.
    pub fn max_payload(self) -> u32 {
        match self {
            Direction::ClientToMaster | Direction::MasterToClient => 50_000_000,
            Direction::ChunkserverToMaster => 500_000_000,
            Direction::MasterToChunkserver => 10_000,
            // A write-data packet is a 64 KiB block plus its header, which
            // the 100 000-byte limit of CSTOCS/CLTOCS/CSTOCL leaves room for.
            Direction::ToChunkserver | Direction::FromChunkserver => 100_000,
            Direction::MetaloggerToMaster => 1_500_000,
            // MATOAN_DOWNLOAD_DATA may carry up to 2 000 000 bytes.
            Direction::MasterToMetalogger => 2_000_000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Direction::ClientToMaster => "ClientToMaster",
            Direction::MasterToClient => "MasterToClient",
            Direction::ChunkserverToMaster => "ChunkserverToMaster",
            Direction::MasterToChunkserver => "MasterToChunkserver",
            Direction::ToChunkserver => "ToChunkserver",
            Direction::FromChunkserver => "FromChunkserver",
            Direction::MetaloggerToMaster => "MetaloggerToMaster",
            Direction::MasterToMetalogger => "MasterToMetalogger",
        }
    }

    pub fn messages(self) -> &'static [MessageInfo] {
        match self {
            Direction::ClientToMaster => ClientToMaster::MESSAGES,
            Direction::MasterToClient => MasterToClient::MESSAGES,
            Direction::ChunkserverToMaster => ChunkserverToMaster::MESSAGES,
            Direction::MasterToChunkserver => MasterToChunkserver::MESSAGES,
            Direction::ToChunkserver => ToChunkserver::MESSAGES,
            Direction::FromChunkserver => FromChunkserver::MESSAGES,
            Direction::MetaloggerToMaster => MetaloggerToMaster::MESSAGES,
            Direction::MasterToMetalogger => MasterToMetalogger::MESSAGES,
        }
    }

    /// MooseFS's name for the message `code` in this direction, if known.
    pub fn message_name(self, code: u32) -> Option<&'static str> {
        self.messages()
            .iter()
            .find(|m| m.code == code)
            .map(|m| m.name)
    }

    pub fn decode(self, code: u32, payload: &[u8], ctx: Ctx) -> Result<AnyMessage, DecodeError> {
        Ok(match self {
            Direction::ClientToMaster => {
                AnyMessage::ClientToMaster(ClientToMaster::decode(code, payload, ctx)?)
            }
            Direction::MasterToClient => {
                AnyMessage::MasterToClient(MasterToClient::decode(code, payload, ctx)?)
            }
            Direction::ChunkserverToMaster => {
                AnyMessage::ChunkserverToMaster(ChunkserverToMaster::decode(code, payload, ctx)?)
            }
            Direction::MasterToChunkserver => {
                AnyMessage::MasterToChunkserver(MasterToChunkserver::decode(code, payload, ctx)?)
            }
            Direction::ToChunkserver => {
                AnyMessage::ToChunkserver(ToChunkserver::decode(code, payload, ctx)?)
            }
            Direction::FromChunkserver => {
                AnyMessage::FromChunkserver(FromChunkserver::decode(code, payload, ctx)?)
            }
            Direction::MetaloggerToMaster => {
                AnyMessage::MetaloggerToMaster(MetaloggerToMaster::decode(code, payload, ctx)?)
            }
            Direction::MasterToMetalogger => {
                AnyMessage::MasterToMetalogger(MasterToMetalogger::decode(code, payload, ctx)?)
            }
        })
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_direction_roundtrips_every_message() {
        ClientToMaster::roundtrip_every_message();
        MasterToClient::roundtrip_every_message();
        ChunkserverToMaster::roundtrip_every_message();
        MasterToChunkserver::roundtrip_every_message();
        ToChunkserver::roundtrip_every_message();
        FromChunkserver::roundtrip_every_message();
        MetaloggerToMaster::roundtrip_every_message();
        MasterToMetalogger::roundtrip_every_message();
    }

    #[test]
    fn unknown_codes_are_reported_with_their_direction() {
        let err = Direction::ClientToMaster.decode(65_000, &[], Ctx::default());
        assert_eq!(
            err,
            Err(DecodeError::UnknownType {
                code: 65_000,
                direction: "ClientToMaster"
            })
        );
    }

    #[test]
    fn ports_map_to_directions_and_back() {
        for direction in Direction::ALL {
            assert_eq!(direction.reverse().reverse(), direction);
        }
        assert_eq!(Direction::towards(9421), Some(Direction::ClientToMaster));
        assert_eq!(Direction::towards(80), None);
    }
}
