#ifndef AGENTLEDGER_CZSTD_SHIM_H
#define AGENTLEDGER_CZSTD_SHIM_H
#include <zstd.h>
#include <zdict.h>
#endif
