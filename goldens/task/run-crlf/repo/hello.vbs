Option Explicit

Sub Main()
    MsgBox "Hello"
End Sub
