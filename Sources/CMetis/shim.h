// METIS 5 graph partitioning (Debian libmetis-dev): 32-bit idx_t and real_t.
#include <metis.h>
