// LZ4 block format (Debian liblz4-dev).
#include <lz4.h>
