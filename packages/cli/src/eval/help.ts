/**
 * The help of `promptline eval`, in a module of its own so `promptline eval --help` does not load
 * the evaluation engine.
 */

/** The text `promptline eval --help` prints. */
export const EVAL_HELP = `Usage: promptline eval [options]

Runs the eval suite in promptline.eval.yaml or promptfooconfig.yaml (in the current directory).

Options:
  -c, --config <file>        config file (Promptline or promptfoo format)
  -o, --output <file>        write results; repeatable; .json .jsonl .csv .html .xml (JUnit) .md
      --no-cache             call the models even when a cached answer exists
      --max-concurrency <n>  parallel model calls (default: evaluateOptions.maxConcurrency or 4)
      --repeat <n>           run every cell n times
      --baseline <file>      compare with a previous results file (.json or .jsonl)
      --promptfoo-exit-codes exit 100 when the suite fails, like promptfoo
      --json                 print the outcome (summary, comparison, thresholds) as JSON
      --no-upload            do not upload the results when PROMPTLINE_URL is set
  -h, --help

With PROMPTLINE_URL (and PROMPTLINE_API_KEY) set, prompts like { registry: name, version | env }
and tests like { dataset: name, revision } are read from the server, judge prompts are looked up
there (promptline/judges/<type>), and the results are uploaded. See docs/evals.md.

Exit codes: 0 thresholds met (all cases passed when none are set), 1 not met, 2 configuration error.
`;
