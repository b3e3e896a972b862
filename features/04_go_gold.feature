# language: zh-TW
@registration
功能: 註冊完成後選擇是否繼續金質會員認證
  註冊完成後，市民可以按「是」繼續進行金質會員認證，或按「否」直接進入臺北卡網站。（文件步驟 9）

  背景:
    假如 市民已完成會員註冊

  @doc-step-9
  場景: 市民按「是」繼續進行金質會員認證
    當 市民按下「是」
    那麼 市民看到「金質會員認證」頁面

  @doc-step-9
  場景: 市民按「否」以一般會員進入臺北卡網站
    當 市民按下「否」
    那麼 市民看到「會員專區」頁面
    而且 左上角狀態顯示「未實名」

  # The notice reaches the phone, not the page: the page answers as for any number, so whoever types a number
  # cannot learn from it whether it is registered (features/09_security.feature).
  @doc-step-4 @negative @sms
  場景: 已註冊的手機號碼無法再次註冊
    當 市民再次以同一支手機申請金質會員
    那麼 市民的手機收到不含驗證碼的簡訊「此手機號碼已註冊為會員，請直接登入」
