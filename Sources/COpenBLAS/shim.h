// OpenBLAS's CBLAS interface (Debian libopenblas-dev; pkg-config "openblas" adds the include dir).
#include <cblas.h>
