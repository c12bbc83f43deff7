/* rl-core.h — umbrella header of the GTK-free RankLab core library. */
#pragma once

#include "rl-error.h"
#include "rl-dataset.h"
#include "rl-model.h"
#include "rl-forward.h"
#include "rl-train.h"
#include "rl-modelfile.h"
#include "rl-svd.h"
#include "rl-plan.h"
#include "rl-budget.h"
#include "rl-experiment.h"
#include "rl-eval.h"
#include "rl-preprocess.h"
#include "rl-image.h"
#include "rl-chart.h"
