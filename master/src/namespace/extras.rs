//! What few nodes have: extended attributes and POSIX ACLs. Both sit
//! behind one pointer, so that every other node pays 8 bytes for them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::acl::NodeAcls;
use super::xattr::Xattrs;

static NO_XATTRS: Xattrs = Xattrs::new();
static NO_ACLS: NodeAcls = NodeAcls::new();

/// Never holds an empty pair: the pointer goes when both are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras(Option<Box<Both>>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Both {
    xattrs: Xattrs,
    acls: NodeAcls,
}

impl Both {
    fn is_empty(&self) -> bool {
        self.xattrs.is_empty() && self.acls.is_empty()
    }
}

impl Extras {
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub fn xattrs(&self) -> &Xattrs {
        self.0.as_ref().map_or(&NO_XATTRS, |both| &both.xattrs)
    }

    pub fn acls(&self) -> &NodeAcls {
        self.0.as_ref().map_or(&NO_ACLS, |both| &both.acls)
    }

    pub(super) fn change_xattrs<R>(&mut self, change: impl FnOnce(&mut Xattrs) -> R) -> R {
        self.change(|both| change(&mut both.xattrs))
    }

    pub(super) fn change_acls<R>(&mut self, change: impl FnOnce(&mut NodeAcls) -> R) -> R {
        self.change(|both| change(&mut both.acls))
    }

    /// Allocates only when a node without extras gains some.
    fn change<R>(&mut self, change: impl FnOnce(&mut Both) -> R) -> R {
        match &mut self.0 {
            Some(both) => {
                let result = change(both);
                if both.is_empty() {
                    self.0 = None;
                }
                result
            }
            None => {
                let mut both = Both::default();
                let result = change(&mut both);
                if !both.is_empty() {
                    self.0 = Some(Box::new(both));
                }
                result
            }
        }
    }
}

/// Written as the node's two fields `xattrs` and `acl` were before they
/// shared a pointer: postcard writes a pair as its two parts one after
/// the other, so snapshots keep their bytes.
impl Serialize for Extras {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.xattrs(), self.acls()).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Extras {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (xattrs, acls) = <(Xattrs, NodeAcls)>::deserialize(deserializer)?;
        let both = Both { xattrs, acls };
        Ok(Extras((!both.is_empty()).then(|| Box::new(both))))
    }
}

#[cfg(test)]
mod tests {
    use super::super::acl::{Acl, AclKind};
    use super::super::xattr::xattr_mode;
    use super::*;

    /// The node's two fields as snapshots hold them.
    #[derive(Serialize)]
    struct TwoFields<'a> {
        xattrs: &'a Xattrs,
        acl: &'a NodeAcls,
    }

    fn acl(user: u16) -> Acl {
        Acl {
            user,
            mask: 7,
            ..Acl::default()
        }
    }

    fn samples() -> Vec<Extras> {
        let mut with_xattr = Extras::default();
        with_xattr
            .change_xattrs(|x| x.set(b"user.a", b"1", xattr_mode::CREATE_ONLY))
            .unwrap();
        let mut with_acl = Extras::default();
        with_acl.change_acls(|a| a.set(AclKind::Default, Some(acl(6))));
        let mut with_both = with_xattr.clone();
        with_both.change_acls(|a| a.set(AclKind::Access, Some(acl(7))));
        vec![Extras::default(), with_xattr, with_acl, with_both]
    }

    #[test]
    fn encodes_as_the_two_fields_it_replaced() {
        for extras in samples() {
            let bytes = postcard::to_stdvec(&extras).unwrap();
            let fields = TwoFields {
                xattrs: extras.xattrs(),
                acl: extras.acls(),
            };
            assert_eq!(bytes, postcard::to_stdvec(&fields).unwrap());
            assert_eq!(postcard::from_bytes::<Extras>(&bytes).unwrap(), extras);
        }
    }

    #[test]
    fn the_pointer_goes_with_the_last_attribute() {
        let mut extras = samples().pop().unwrap();
        extras
            .change_xattrs(|x| x.set(b"user.a", b"", xattr_mode::REMOVE))
            .unwrap();
        assert!(!extras.is_empty(), "the ACL is left");
        extras.change_acls(|a| a.set(AclKind::Access, None));
        assert!(extras.is_empty());
        assert_eq!(extras, Extras::default());
        assert_eq!(std::mem::size_of::<Extras>(), 8);
    }

    #[test]
    fn a_change_that_adds_nothing_allocates_nothing() {
        let mut extras = Extras::default();
        let removed = extras.change_xattrs(|x| x.set(b"user.a", b"", xattr_mode::REMOVE));
        assert!(removed.is_err());
        assert!(extras.is_empty());
    }
}
