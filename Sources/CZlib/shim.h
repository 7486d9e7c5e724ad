// zlib (Debian zlib1g-dev), for its crc32_z: braided, about 1.4x our slicing-by-8 here.
#include <zlib.h>
