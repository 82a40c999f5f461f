//! The log as a Merkle tree (RFC 6962 / RFC 9162 §2.1), beside the hash chain: leaf `i` is the
//! chain hash of the event at position `i + 1`, hashed as `SHA-256(0x00 ‖ hash)`; an interior
//! node is `SHA-256(0x01 ‖ left ‖ right)`; the tree of `n` leaves splits at the largest power of
//! two below `n`. From it come the root a checkpoint signs, the proof that an event is in the
//! log (inclusion) and the proof that a later log extends an earlier one (consistency), each
//! `log2(n)` hashes long.
//!
//! Pure: the hashes of complete subtrees come from a [`Subtrees`] source (the store's tiles,
//! or [`MemoryTree`]); [`Frontier`] grows the tree one leaf at a time in `O(log n)` memory and
//! names each subtree a leaf completes, for the writer to store and `verify` to compare.

use sha2::{Digest, Sha256};

/// A node of the tree.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The leaf of an event: its 32-byte chain hash, hashed with the leaf prefix.
pub fn leaf_hash(chain_hash: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(chain_hash);
    hasher.finalize().into()
}

/// An interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of a complete subtree from its `2^k` hashes at one level (leaf hashes, or the
/// roots of equal complete subtrees), left to right.
///
/// # Panics
/// When the number of hashes is not a power of two: a caller's mistake, never the data's.
pub fn perfect_root(hashes: &[Hash]) -> Hash {
    assert!(hashes.len().is_power_of_two(), "{} hashes are not a complete subtree", hashes.len());
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level.chunks_exact(2).map(|pair| node_hash(&pair[0], &pair[1])).collect();
    }
    level[0]
}

/// The hashes of complete subtrees: `subtree(level, index)` is the root of the `2^level`
/// leaves from `index · 2^level`. Level 0 is the leaf hashes.
pub trait Subtrees {
    type Error;
    fn subtree(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// Why a tree or a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError<E> {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    NoSuchLeaf { index: u64, size: u64 },
    #[error("a tree of {from} leaves is not a prefix of one of {to}")]
    SizesOutOfOrder { from: u64, to: u64 },
    #[error("the tree's hashes could not be read: {0}")]
    Source(E),
}

/// Why a proof does not prove what it was given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    NoSuchLeaf { index: u64, size: u64 },
    #[error("a tree of {from} leaves cannot be extended to one of {to}")]
    SizesOutOfOrder { from: u64, to: u64 },
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    #[error("the proof leads to another root")]
    RootMismatch,
}

/// The largest power of two below `n` (`n ≥ 2`): where a tree of `n` leaves splits.
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The root of the leaves `[lo, hi)`, a range the tree's recursion reaches (its start aligned
/// to the largest power of two not above its length).
fn range_root<S: Subtrees>(s: &S, lo: u64, hi: u64) -> Result<Hash, TreeError<S::Error>> {
    let n = hi - lo;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        let level = n.trailing_zeros() as u8;
        return s.subtree(level, lo >> level).map_err(TreeError::Source);
    }
    let k = split(n);
    Ok(node_hash(&range_root(s, lo, lo + k)?, &range_root(s, lo + k, hi)?))
}

/// The root of the first `size` leaves.
pub fn root<S: Subtrees>(s: &S, size: u64) -> Result<Hash, TreeError<S::Error>> {
    range_root(s, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), from the
/// leaf's sibling up.
pub fn inclusion_proof<S: Subtrees>(
    s: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if index >= size {
        return Err(TreeError::NoSuchLeaf { index, size });
    }
    let mut proof = Vec::new();
    path(s, index, 0, size, &mut proof)?;
    Ok(proof)
}

fn path<S: Subtrees>(
    s: &S,
    m: u64,
    lo: u64,
    hi: u64,
    proof: &mut Vec<Hash>,
) -> Result<(), TreeError<S::Error>> {
    if hi - lo <= 1 {
        return Ok(());
    }
    let k = split(hi - lo);
    if m < k {
        path(s, m, lo, lo + k, proof)?;
        proof.push(range_root(s, lo + k, hi)?);
    } else {
        path(s, m - k, lo + k, hi, proof)?;
        proof.push(range_root(s, lo, lo + k)?);
    }
    Ok(())
}

/// The proof that the tree of `from` leaves is a prefix of the tree of `to` (RFC 9162
/// §2.1.4.1). Empty when `from` is 0 or equals `to`.
pub fn consistency_proof<S: Subtrees>(
    s: &S,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if from > to {
        return Err(TreeError::SizesOutOfOrder { from, to });
    }
    let mut proof = Vec::new();
    if from > 0 && from < to {
        subproof(s, from, 0, to, true, &mut proof)?;
    }
    Ok(proof)
}

fn subproof<S: Subtrees>(
    s: &S,
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    proof: &mut Vec<Hash>,
) -> Result<(), TreeError<S::Error>> {
    let n = hi - lo;
    if m == n {
        if !whole {
            proof.push(range_root(s, lo, hi)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(s, m, lo, lo + k, whole, proof)?;
        proof.push(range_root(s, lo + k, hi)?);
    } else {
        subproof(s, m - k, lo + k, hi, false, proof)?;
        proof.push(range_root(s, lo, lo + k)?);
    }
    Ok(())
}

/// Checks that `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves whose root is
/// `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::NoSuchLeaf { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `from` leaves with root `from_root` is a prefix of the tree of `to`
/// leaves with root `to_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &Hash,
    to_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if from > to {
        return Err(ProofError::SizesOutOfOrder { from, to });
    }
    if from == 0 || from == to {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        // Every tree extends the empty one; a tree extends itself only with the same root.
        return if from == 0 || from_root == to_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else { return Err(ProofError::WrongLength) };
    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *from_root || sr != *to_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of a growing tree: the roots of the complete subtrees that cover its leaves,
/// largest first. Enough to add a leaf and to compute the root, in `O(log n)` memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `(level, hash)`, levels strictly decreasing.
    roots: Vec<(u8, Hash)>,
}

/// A complete subtree a new leaf finished: `level`, `index` as in [`Subtrees::subtree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completed {
    pub level: u8,
    pub index: u64,
    pub hash: Hash,
}

impl Frontier {
    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a leaf (a leaf hash); calls `completed` with every complete subtree it finishes,
    /// the leaf itself first, then upwards.
    pub fn push(&mut self, leaf: Hash, mut completed: impl FnMut(Completed)) {
        let index = self.size;
        completed(Completed { level: 0, index, hash: leaf });
        let mut node = (0u8, leaf);
        while let Some(&(level, left)) = self.roots.last() {
            if level != node.0 {
                break;
            }
            self.roots.pop();
            let hash = node_hash(&left, &node.1);
            let level = level + 1;
            completed(Completed { level, index: index >> level, hash });
            node = (level, hash);
        }
        self.roots.push(node);
        self.size += 1;
    }

    /// The root of the tree as it stands.
    pub fn root(&self) -> Hash {
        let mut roots = self.roots.iter().rev();
        let Some(&(_, last)) = roots.next() else { return empty_root() };
        roots.fold(last, |right, (_, left)| node_hash(left, &right))
    }
}

/// A whole tree in memory: every complete subtree's hash, by level. For tests and small logs;
/// the store keeps its own.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    /// The tree of these chain hashes, in position order.
    pub fn of_chain<'a>(chain: impl IntoIterator<Item = &'a Hash>) -> MemoryTree {
        let mut tree = MemoryTree::default();
        for hash in chain {
            tree.push(leaf_hash(hash));
        }
        tree
    }

    pub fn push(&mut self, leaf: Hash) {
        let levels = &mut self.levels;
        self.frontier.push(leaf, |done| {
            if levels.len() <= usize::from(done.level) {
                levels.push(Vec::new());
            }
            levels[usize::from(done.level)].push(done.hash);
        });
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}

/// A subtree a [`MemoryTree`] does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no complete subtree at level {level}, index {index}")]
pub struct Missing {
    pub level: u8,
    pub index: u64,
}

impl Subtrees for MemoryTree {
    type Error = Missing;
    fn subtree(&self, level: u8, index: u64) -> Result<Hash, Missing> {
        let found = self
            .levels
            .get(usize::from(level))
            .and_then(|hashes| usize::try_from(index).ok().and_then(|index| hashes.get(index)));
        found.copied().ok_or(Missing { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any leaf of any tree up to 600 leaves is proven in it and in every larger one, and
        /// any smaller tree is proven a prefix of it.
        #[test]
        fn proofs_verify_for_any_sizes(n in 1u64..600, a in any::<u64>(), b in any::<u64>()) {
            let tree = MemoryTree::of_chain(&chain(n));
            let index = a % n;
            let size = index + 1 + b % (n - index);
            let root_at = |size| root(&tree, size).unwrap();
            let leaf = tree.subtree(0, index).unwrap();
            let proof = inclusion_proof(&tree, index, size).unwrap();
            prop_assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root_at(size)), Ok(()));
            let from = b % (size + 1);
            let proof = consistency_proof(&tree, from, size).unwrap();
            let checked = verify_consistency(from, size, &root_at(from), &root_at(size), &proof);
            prop_assert_eq!(checked, Ok(()));
        }
    }

    /// RFC 9162's MTH, written from its definition over the leaf hashes.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn chain(n: u64) -> Vec<Hash> {
        (0..n).map(|i| Sha256::digest(i.to_be_bytes()).into()).collect()
    }

    #[test]
    fn the_root_is_rfc_9162s_tree_hash_at_every_size() {
        let chain = chain(70);
        let mut tree = MemoryTree::default();
        let mut leaves = Vec::new();
        assert_eq!(tree.root(), empty_root());
        for hash in &chain {
            tree.push(leaf_hash(hash));
            leaves.push(leaf_hash(hash));
            assert_eq!(tree.root(), mth(&leaves), "size {}", leaves.len());
            assert_eq!(root(&tree, tree.size()).unwrap(), mth(&leaves));
        }
        for size in 0..=70 {
            assert_eq!(root(&tree, size).unwrap(), mth(&leaves[..size as usize]));
        }
    }

    #[test]
    fn every_inclusion_proof_of_a_small_tree_verifies_and_a_wrong_one_fails() {
        let tree = MemoryTree::of_chain(&chain(33));
        for size in 1..=33 {
            let root = root(&tree, size).unwrap();
            for index in 0..size {
                let leaf = tree.subtree(0, index).unwrap();
                let proof = inclusion_proof(&tree, index, size).unwrap();
                assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
                let other = tree.subtree(0, (index + 1) % 33).unwrap();
                assert!(verify_inclusion(&other, index, size, &proof, &root).is_err());
                if size > 1 {
                    let wrong = (index + 1) % size;
                    assert!(verify_inclusion(&leaf, wrong, size, &proof, &root).is_err());
                }
                if size < 33 {
                    // A proof for one size does not prove the leaf in the next tree.
                    let next = super::root(&tree, size + 1).unwrap();
                    assert!(verify_inclusion(&leaf, index, size + 1, &proof, &next).is_err());
                }
            }
        }
        assert_eq!(inclusion_proof(&tree, 5, 5), Err(TreeError::NoSuchLeaf { index: 5, size: 5 }));
    }

    #[test]
    fn every_consistency_proof_of_a_small_tree_verifies_and_a_wrong_one_fails() {
        let tree = MemoryTree::of_chain(&chain(33));
        for to in 0..=33 {
            let to_root = root(&tree, to).unwrap();
            for from in 0..=to {
                let from_root = root(&tree, from).unwrap();
                let proof = consistency_proof(&tree, from, to).unwrap();
                assert_eq!(verify_consistency(from, to, &from_root, &to_root, &proof), Ok(()));
                if from > 0 && from < to {
                    let other = root(&tree, from - 1).unwrap();
                    assert!(verify_consistency(from, to, &other, &to_root, &proof).is_err());
                    assert!(verify_consistency(from, to, &from_root, &other, &proof).is_err());
                    let short = &proof[..proof.len() - 1];
                    assert!(verify_consistency(from, to, &from_root, &to_root, short).is_err());
                }
            }
        }
    }
}
