//! The known differences: test cases the all-Debian baseline passes and a
//! MooseNG setup fails, each with the reason. Every other case the baseline
//! passes must pass on every setup, so a run fails exactly when something
//! else regresses.

use mooseng_tools::Flavor;

use super::results::CaseId;
use super::setup::Setup;

/// Cases of one test file that setups matching `master` and `mount` fail
/// (`None` matches any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownDifference {
    pub master: Option<Flavor>,
    pub mount: Option<Flavor>,
    /// The test file, relative to the suite's `tests/`.
    pub file: &'static str,
    pub cases: &'static [u32],
    pub reason: &'static str,
}

impl KnownDifference {
    pub fn applies_to(&self, setup: &Setup) -> bool {
        self.master.is_none_or(|f| f == setup.master) && self.mount.is_none_or(|f| f == setup.mount)
    }

    pub fn covers(&self, case: &CaseId) -> bool {
        self.file == case.file && self.cases.contains(&case.number)
    }

    /// The case ids it lists.
    pub fn case_ids(&self) -> impl Iterator<Item = CaseId> + '_ {
        self.cases.iter().map(|&number| CaseId {
            file: self.file.to_owned(),
            number,
        })
    }

    /// Which setups it is for, as the docs write it: `*` for any.
    pub fn describe_setups(&self) -> String {
        let part = |f: Option<Flavor>| f.map_or_else(|| "*".to_owned(), |f| f.to_string());
        format!("master {} / mount {}", part(self.master), part(self.mount))
    }
}

/// Every known difference. Keep each entry to the cases it explains.
pub const KNOWN_DIFFERENCES: &[KnownDifference] = &[];

/// The entries of `known` that apply to `setup`.
pub fn known_for(
    setup: &Setup,
    known: &'static [KnownDifference],
) -> Vec<&'static KnownDifference> {
    known.iter().filter(|k| k.applies_to(setup)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NG_MASTER_FTRUNCATE: KnownDifference = KnownDifference {
        master: Some(Flavor::Ng),
        mount: None,
        file: "ftruncate/00.t",
        cases: &[24],
        reason: "EACCES",
    };

    #[test]
    fn entries_apply_by_master_and_mount() {
        let ng_master = Setup::with(Flavor::Ng, Flavor::Mfs);
        let ng_mount = Setup::with(Flavor::Mfs, Flavor::Ng);
        let entry = &NG_MASTER_FTRUNCATE;
        assert!(entry.applies_to(&ng_master));
        assert!(!entry.applies_to(&ng_mount));
        assert!(entry.applies_to(&Setup::with(Flavor::Ng, Flavor::Ng)));
        assert_eq!(entry.describe_setups(), "master ng / mount *");
        const KNOWN: &[KnownDifference] = &[NG_MASTER_FTRUNCATE];
        assert_eq!(known_for(&ng_master, KNOWN), [&KNOWN[0]]);
        assert!(known_for(&ng_mount, KNOWN).is_empty());
    }

    #[test]
    fn an_entry_covers_only_its_cases() {
        let entry = &NG_MASTER_FTRUNCATE;
        let case = |file: &str, number| CaseId {
            file: file.into(),
            number,
        };
        assert!(entry.covers(&case("ftruncate/00.t", 24)));
        assert!(!entry.covers(&case("ftruncate/00.t", 23)));
        assert!(!entry.covers(&case("truncate/00.t", 24)));
    }

    #[test]
    fn every_listed_file_is_in_the_suite() {
        let suite = super::super::suite::vendored_source().join("tests");
        for k in KNOWN_DIFFERENCES {
            assert!(
                suite.join(k.file).is_file(),
                "{} is not in the suite",
                k.file
            );
            assert!(!k.cases.is_empty() && !k.reason.is_empty());
        }
    }
}
