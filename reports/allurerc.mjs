// Allure 3 configuration for tpcd-harness; `tpcd report` passes it with --config. The categories live in
// categories.json beside this file, which is also copied into allure-results for Allure 2 readers.
import { readFileSync } from "node:fs";

const categories = JSON.parse(readFileSync(new URL("./categories.json", import.meta.url), "utf8"));

export default {
  name: "臺北卡3.0 金質會員申請",
  categories: { rules: categories },
  plugins: {
    awesome: {
      options: { singleFile: true, reportLanguage: "zh-TW", reportName: "臺北卡3.0 金質會員申請" },
    },
  },
};
