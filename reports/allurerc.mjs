// Allure 3 configuration for tpcd-harness; `tpcd report` passes it with --config. The categories (Allure 3 matcher
// rules: statuses, labels, message and trace patterns) live in categories.json beside this file.
import { readFileSync } from "node:fs";

const categories = JSON.parse(readFileSync(new URL("./categories.json", import.meta.url), "utf8"));

export default {
  name: "臺北卡3.0 金質會員申請",
  // Trends and flaky marks need the runs before this one: kept beside the report, carried by CI between runs.
  historyPath: "./reports/history.jsonl",
  categories: { rules: categories },
  plugins: {
    awesome: {
      options: { singleFile: true, reportLanguage: "zh-TW", reportName: "臺北卡3.0 金質會員申請" },
    },
  },
};
