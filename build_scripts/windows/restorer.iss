; Inno Setup script: setup.exe for the one-folder build in dist\restorer.
;   iscc /DAppVersion=0.1.0 build_scripts\windows\restorer.iss
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C1E7A52-3F3B-4C55-9E0E-2B7F7E1C4D10}
AppName=Restorer
AppVersion={#AppVersion}
AppVerName=Restorer {#AppVersion}
AppPublisher=Restorer project
VersionInfoVersion={#AppVersion}
VersionInfoDescription=Restorer image restoration
DefaultDirName={autopf}\Restorer
DefaultGroupName=Restorer
OutputDir=..\..\dist
OutputBaseFilename=Restorer-{#AppVersion}-setup
Compression=lzma2/ultra64
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
UninstallDisplayIcon={app}\restorer.exe
WizardStyle=modern

[Files]
Source: "..\..\dist\restorer\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Restorer"; Filename: "{app}\restorer.exe"
Name: "{group}\Uninstall Restorer"; Filename: "{uninstallexe}"

[Registry]
; "Open with Restorer" for the image types it reads.
#define Assoc(Ext) \
  "Root: HKA; Subkey: ""Software\Classes\" + Ext + "\OpenWithProgids""; ValueType: string; ValueName: ""Restorer.Image""; ValueData: """"; Flags: uninsdeletevalue"
{#Assoc(".png")}
{#Assoc(".jpg")}
{#Assoc(".jpeg")}
{#Assoc(".tif")}
{#Assoc(".tiff")}
{#Assoc(".bmp")}
{#Assoc(".webp")}
{#Assoc(".dcm")}
Root: HKA; Subkey: "Software\Classes\Restorer.Image"; ValueType: string; ValueName: ""; ValueData: "Image (Restorer)"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Restorer.Image\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\restorer.exe,0"
Root: HKA; Subkey: "Software\Classes\Restorer.Image\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\restorer.exe"" ""%1"""

[Run]
Filename: "{app}\restorer.exe"; Description: "Start Restorer"; Flags: nowait postinstall skipifsilent
