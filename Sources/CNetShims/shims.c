#ifndef _GNU_SOURCE
#error "_GNU_SOURCE must be defined"
#endif
#include "CNetShims.h"
