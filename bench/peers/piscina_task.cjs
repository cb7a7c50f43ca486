// SPDX-License-Identifier: MIT
// The piscina task of the round-trip bench: returns its argument, so that the
// measured time is piscina's own dispatch and completion path.
module.exports = (x) => x;
