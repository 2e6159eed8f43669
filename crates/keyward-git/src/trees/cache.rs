//! The tree reader's cache of objects decoded from delta chains
//! ([`BaseCache`]): least recently used out first, weighed by the memory
//! of its buffers, which it hands back for the next objects decoded.
//!
//! It keeps and lends buffers; it never decodes objects (the packs do) or
//! decides how large it may grow (the reader does).

use std::rc::Rc;

use crate::pack::{Decoded, Object};

/// The walk's cache of objects decoded from delta chains: least recently
/// used out first, weighed by the memory of its buffers, which it reuses.
/// It holds as many bytes of bases as its reader lets it (2 to 8 MiB, by
/// the size of the trees read: see the reader's `TREE_BASE_CACHE_MIN`),
/// none over a quarter of that (a tree of tens of thousands of entries is
/// read without it), and up to [`SPARE_BUFFERS`] spare buffers of at most
/// a quarter of it each. Reusing buffers, rather than freeing a base and
/// allocating one per tree read, keeps the heap from fragmenting
/// (docs/decisions/006).
pub(crate) struct BaseCache {
    entries: clru::CLruCache<(u32, u64), CachedBase, rustc_hash::FxBuildHasher, BaseBytes>,
    /// The bytes it may hold now, at most the cache's capacity.
    limit: usize,
    /// Buffers of evicted bases, for the next ones.
    spare: Vec<Vec<u8>>,
}

/// How many buffers of evicted objects are kept for the next ones.
const SPARE_BUFFERS: usize = 16;

struct CachedBase {
    data: Rc<Vec<u8>>,
    kind: gix_object::Kind,
}

/// Weighs a cached base by the memory its buffer holds.
struct BaseBytes;

impl clru::WeightScale<(u32, u64), CachedBase> for BaseBytes {
    fn weight(&self, _: &(u32, u64), base: &CachedBase) -> usize {
        base.data.capacity()
    }
}

impl BaseCache {
    /// A cache of at most `bytes`, holding `limit` bytes for now.
    pub(crate) fn new(bytes: usize, limit: usize) -> BaseCache {
        let bytes = std::num::NonZeroUsize::new(bytes).expect("a cache of some bytes");
        BaseCache {
            limit,
            entries: clru::CLruCache::with_config(
                clru::CLruCacheConfig::new(bytes)
                    .with_hasher(rustc_hash::FxBuildHasher)
                    .with_scale(BaseBytes),
            ),
            spare: Vec::new(),
        }
    }

    /// Lets the cache hold `bytes` (it shrinks as bases are put).
    pub(crate) fn set_limit(&mut self, bytes: usize) {
        self.limit = bytes;
    }

    /// The largest object it keeps, and the largest buffer it keeps spare.
    fn largest(&self) -> usize {
        self.limit.min(self.entries.capacity()) / 4
    }

    /// Keeps the buffer of an evicted object spare, unless the reader still
    /// holds it.
    fn keep_spare(&mut self, data: Rc<Vec<u8>>) {
        if let Ok(buffer) = Rc::try_unwrap(data) {
            self.recycle(buffer);
        }
    }
}

impl Decoded for BaseCache {
    fn put(&mut self, pack: u32, offset: u64, data: &Rc<Vec<u8>>, kind: gix_object::Kind) {
        if data.len() > self.largest() {
            return;
        }
        // Room is made here, not by the cache, so the evicted buffers are
        // kept (the cache counts an entry as one unit of weight as well).
        let limit = self.limit.min(self.entries.capacity());
        while self.entries.len() + self.entries.weight() + data.capacity() >= limit {
            let Some((_, old)) = self.entries.pop_back() else {
                break;
            };
            self.keep_spare(old.data);
        }
        let base = CachedBase {
            data: data.clone(),
            kind,
        };
        match self.entries.put_with_weight((pack, offset), base) {
            Ok(Some(old)) | Err((_, old)) => self.keep_spare(old.data),
            Ok(None) => {}
        }
    }

    fn get(&mut self, pack: u32, offset: u64) -> Option<Object> {
        let base = self.entries.get(&(pack, offset))?;
        Some((base.data.clone(), base.kind))
    }

    /// The smallest spare buffer `size` bytes fit in, else a new one.
    fn buffer(&mut self, size: usize) -> Vec<u8> {
        let fit = (0..self.spare.len())
            .filter(|&i| self.spare[i].capacity() >= size)
            .min_by_key(|&i| self.spare[i].capacity());
        match fit {
            Some(i) => {
                let mut buffer = self.spare.swap_remove(i);
                buffer.clear();
                buffer
            }
            None => Vec::with_capacity(size),
        }
    }

    /// Keeps a buffer spare, unless it is over the largest object kept;
    /// when the spare ones are all kept, it takes the place of the smallest
    /// if larger (large objects are the churn).
    fn recycle(&mut self, buffer: Vec<u8>) {
        if buffer.capacity() > self.largest() {
            return;
        }
        if self.spare.len() < SPARE_BUFFERS {
            self.spare.push(buffer);
            return;
        }
        let smallest = (0..self.spare.len()).min_by_key(|&i| self.spare[i].capacity());
        if let Some(i) = smallest.filter(|&i| self.spare[i].capacity() < buffer.capacity()) {
            self.spare[i] = buffer;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The delta-base cache gives back what was put (shared, not copied),
    /// evicts the least recently used, keeps the buffers of evicted objects
    /// no reader holds for the next objects decoded (the larger ones when
    /// it must choose), and no object over a quarter of it.
    #[test]
    fn base_cache_reuses_buffers_within_its_bytes() {
        let mut cache = BaseCache::new(64 << 10, 64 << 10);
        let blob = gix_object::Kind::Blob;
        let bytes = |i: u64, len: usize| -> Rc<Vec<u8>> {
            Rc::new((0..len).map(|j| (i as usize * 31 + j) as u8).collect())
        };
        // Sizes from 16 KiB (a quarter of the cache) down to 1 byte.
        let sizes = |i: u64| (16 << 10) >> (i % 15);
        let kept = |cache: &mut BaseCache, pack, at| cache.get(pack, at).map(|(d, _)| d);
        for i in 0..200 {
            let data = bytes(i, sizes(i));
            cache.put(0, i, &data, blob);
            assert!(cache.spare.len() <= SPARE_BUFFERS);
            // The newest entry is there, the same bytes.
            let (got, kind) = cache.get(0, i).expect("the newest is kept");
            assert!(Rc::ptr_eq(&got, &data));
            assert_eq!(kind, blob);
        }
        // The oldest entries were evicted, and their buffers kept spare.
        assert!(kept(&mut cache, 0, 0).is_none());
        assert_eq!(cache.spare.len(), SPARE_BUFFERS);
        // Over a quarter of the cache: not kept.
        cache.put(1, 0, &Rc::new(vec![7; (16 << 10) + 1]), blob);
        assert!(kept(&mut cache, 1, 0).is_none());
        // Another pack's entry at the same offset is its own.
        cache.put(1, 199, &Rc::new(b"other pack".to_vec()), blob);
        assert_eq!(kept(&mut cache, 1, 199).unwrap().as_slice(), b"other pack");
        assert_eq!(kept(&mut cache, 0, 199).unwrap(), bytes(199, sizes(199)));

        // An object evicted leaves its buffer for the next one decoded,
        // unless a reader still holds it.
        let mut cache = BaseCache::new(64 << 10, 64 << 10);
        let held = bytes(0, 16 << 10);
        cache.put(2, 0, &held, blob);
        for i in 1..5 {
            cache.put(2, i, &bytes(i, 16 << 10), blob);
        }
        assert!(kept(&mut cache, 2, 0).is_none(), "the first was evicted");
        assert!(kept(&mut cache, 2, 1).is_none(), "and the second");
        assert_eq!(cache.spare.len(), 1, "the held one is not spare");
        let reused = cache.buffer(5);
        assert!(reused.capacity() >= 16 << 10, "the evicted buffer");
        assert!(reused.is_empty());
        assert!(cache.spare.is_empty());
        assert_eq!(cache.buffer(3).capacity(), 3, "none spare: a new one");

        // The smallest spare buffer that fits is taken; with every spare
        // place taken, a larger buffer replaces the smallest; none over a
        // quarter of the cache is kept.
        cache.spare = (1..=SPARE_BUFFERS)
            .map(|n| Vec::with_capacity(n * 100))
            .collect();
        assert_eq!(cache.buffer(250).capacity(), 300);
        cache.recycle(Vec::with_capacity(300));
        cache.recycle(Vec::with_capacity(8 << 10));
        cache.recycle(Vec::with_capacity(0));
        cache.recycle(Vec::with_capacity((16 << 10) + 1));
        assert_eq!(cache.spare.len(), SPARE_BUFFERS);
        assert!(cache.spare.iter().any(|b| b.capacity() == 8 << 10));
        assert!(cache
            .spare
            .iter()
            .all(|b| (200..=16 << 10).contains(&b.capacity())));

        // A smaller limit holds fewer objects, down to it as objects are
        // put; a larger one, more (within the cache's bytes).
        let mut cache = BaseCache::new(64 << 10, 64 << 10);
        for i in 0..3 {
            cache.put(3, i, &bytes(i, 16 << 10), blob);
        }
        assert_eq!(cache.entries.len(), 3);
        cache.set_limit(20 << 10);
        // Over a quarter of the limit now: not kept, nothing evicted.
        cache.put(3, 3, &bytes(3, 16 << 10), blob);
        assert!(kept(&mut cache, 3, 3).is_none());
        assert_eq!(cache.entries.len(), 3);
        cache.put(3, 3, &bytes(3, 4 << 10), blob);
        assert_eq!(cache.entries.len(), 1, "only the newest fits");
        assert!(kept(&mut cache, 3, 3).is_some());
        cache.set_limit(1 << 30);
        for i in 4..8 {
            cache.put(3, i, &bytes(i, 16 << 10), blob);
        }
        assert_eq!(cache.entries.len(), 3, "the cache's own bytes bound it");
    }
}
