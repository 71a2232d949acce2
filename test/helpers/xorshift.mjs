// The xorshift32 generator (Marsaglia 2003) that several suites use for deterministic test data.

/** Returns `next()`, yielding floats in [0, 1) from a xorshift32 state seeded with `seed` (0 becomes 1). */
export function xorshift32(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
