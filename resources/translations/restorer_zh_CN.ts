<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
  <context>
    <name>Restorer</name>
    <message>
      <source>Before</source>
      <translation>处理前</translation>
    </message>
    <message>
      <source>After</source>
      <translation>处理后</translation>
    </message>
    <message>
      <source>Open an image (Ctrl+O) or drop a file here</source>
      <translation>打开图像（Ctrl+O）或将文件拖放到这里</translation>
    </message>
    <message>
      <source>Difference ×4</source>
      <translation>差异 ×4</translation>
    </message>
    <message>
      <source>After − before ({unit})</source>
      <translation>处理后 − 处理前（{unit}）</translation>
    </message>
    <message>
      <source>Uncertainty: spread of the mirrored runs ({unit})</source>
      <translation>不确定性：镜像运行之间的离散程度（{unit}）</translation>
    </message>
    <message>
      <source>Soft tissue</source>
      <translation>软组织</translation>
    </message>
    <message>
      <source>Bone</source>
      <translation>骨</translation>
    </message>
    <message>
      <source>Lung</source>
      <translation>肺</translation>
    </message>
    <message>
      <source>Brain</source>
      <translation>脑</translation>
    </message>
    <message>
      <source>Patient</source>
      <translation>患者</translation>
    </message>
    <message>
      <source>Patient ID</source>
      <translation>患者 ID</translation>
    </message>
    <message>
      <source>Study date</source>
      <translation>检查日期</translation>
    </message>
    <message>
      <source>Study</source>
      <translation>检查</translation>
    </message>
    <message>
      <source>Series</source>
      <translation>序列</translation>
    </message>
    <message>
      <source>Scanner</source>
      <translation>扫描仪</translation>
    </message>
    <message>
      <source>Slice thickness</source>
      <translation>层厚</translation>
    </message>
    <message>
      <source>Pixel spacing</source>
      <translation>像素间距</translation>
    </message>
    <message>
      <source>Kernel</source>
      <translation>重建核</translation>
    </message>
    <message>
      <source>Rescale slope</source>
      <translation>重标度斜率</translation>
    </message>
    <message>
      <source>Rescale intercept</source>
      <translation>重标度截距</translation>
    </message>
    <message>
      <source>From the file</source>
      <translation>来自文件</translation>
    </message>
    <message>
      <source>Custom</source>
      <translation>自定义</translation>
    </message>
    <message>
      <source>Window</source>
      <translation>窗</translation>
    </message>
    <message>
      <source>Level (HU)</source>
      <translation>窗位（HU）</translation>
    </message>
    <message>
      <source>Width (HU)</source>
      <translation>窗宽（HU）</translation>
    </message>
    <message>
      <source>Right-drag on the image: left/right changes the width, up/down the level.</source>
      <translation>在图像上按住右键拖动：左右改变窗宽，上下改变窗位。</translation>
    </message>
    <message>
      <source>Slice</source>
      <translation>切片</translation>
    </message>
    <message>
      <source>Tag</source>
      <translation>标签</translation>
    </message>
    <message>
      <source>Value</source>
      <translation>值</translation>
    </message>
    <message>
      <source>&lt;b&gt;Bundled models&lt;/b&gt; — trained by the Restorer project on research image sets (see the model cards in resources/models/manifest.json):</source>
      <translation>&lt;b&gt;内置模型&lt;/b&gt;——由 Restorer 项目在科研图像集上训练（模型说明见 resources/models/manifest.json）：</translation>
    </message>
    <message>
      <source>Built with PySide6 (LGPLv3), PyTorch (BSD), NumPy, Pillow, tifffile, imagecodecs, simplejpeg (libjpeg-turbo), pydicom, safetensors and spandrel.</source>
      <translation>基于 PySide6（LGPLv3）、PyTorch（BSD）、NumPy、Pillow、tifffile、imagecodecs、simplejpeg（libjpeg-turbo）、pydicom、safetensors 和 spandrel 构建。</translation>
    </message>
    <message>
      <source>Preferences</source>
      <translation>首选项</translation>
    </message>
    <message>
      <source>Automatic (GPU when present)</source>
      <translation>自动（有 GPU 时使用 GPU）</translation>
    </message>
    <message>
      <source>NVIDIA GPU (CUDA)</source>
      <translation>NVIDIA GPU（CUDA）</translation>
    </message>
    <message>
      <source>Apple GPU (MPS)</source>
      <translation>Apple GPU（MPS）</translation>
    </message>
    <message>
      <source>Run models on</source>
      <translation>模型运行于</translation>
    </message>
    <message>
      <source>Model default</source>
      <translation>模型默认值</translation>
    </message>
    <message>
      <source>Smaller tiles use less memory; out-of-memory errors halve them automatically.</source>
      <translation>分块越小占用内存越少；内存不足时会自动减半。</translation>
    </message>
    <message>
      <source>Tile size (pixels)</source>
      <translation>分块大小（像素）</translation>
    </message>
    <message>
      <source>Automatic (reduced where it is as good and faster)</source>
      <translation>自动（在效果相同且更快时降低精度）</translation>
    </message>
    <message>
      <source>Full (float32 everywhere)</source>
      <translation>完整（全部使用 float32）</translation>
    </message>
    <message>
      <source>Automatic: float16 on NVIDIA GPUs, bfloat16 on CPUs with AVX-512 bf16 or AMX, for the models that allow it, within about 1/255 of full precision; on the CPU with OpenVINO, the int8 versions some models ship, measured as good.</source>
      <translation>自动：对允许的模型，在 NVIDIA GPU 上使用 float16，在支持 AVX-512 bf16 或 AMX 的 CPU 上使用 bfloat16，与完整精度相差约 1/255 以内；在使用 OpenVINO 的 CPU 上，使用部分模型附带的、经测量效果相同的 int8 版本。</translation>
    </message>
    <message>
      <source>Precision</source>
      <translation>精度</translation>
    </message>
    <message>
      <source>Automatic (OpenVINO when installed)</source>
      <translation>自动（已安装时使用 OpenVINO）</translation>
    </message>
    <message>
      <source>What runs the models on the CPU. OpenVINO is 1.2-2.5x faster than PyTorch on most CPUs; GPUs always use PyTorch.</source>
      <translation>在 CPU 上运行模型所用的运行时。在大多数 CPU 上 OpenVINO 比 PyTorch 快 1.2–2.5 倍；GPU 始终使用 PyTorch。</translation>
    </message>
    <message>
      <source>CPU runtime</source>
      <translation>CPU 运行时</translation>
    </message>
    <message>
      <source>JPEG and WebP quality</source>
      <translation>JPEG 和 WebP 质量</translation>
    </message>
    <message>
      <source>a 'restored' folder beside the files</source>
      <translation>文件旁边的 “restored” 文件夹</translation>
    </message>
    <message>
      <source>Queue output folder</source>
      <translation>队列输出文件夹</translation>
    </message>
    <message>
      <source>{name} is each file's own name</source>
      <translation>{name} 为每个文件自己的名称</translation>
    </message>
    <message>
      <source>Queue name pattern</source>
      <translation>队列命名模式</translation>
    </message>
    <message>
      <source>Appearance</source>
      <translation>外观</translation>
    </message>
    <message>
      <source>Takes effect at the next start</source>
      <translation>下次启动时生效</translation>
    </message>
    <message>
      <source>Language</source>
      <translation>语言</translation>
    </message>
    <message>
      <source>Restorer works offline: its models are installed with it, and it never connects to the internet — nothing is downloaded, checked or sent.</source>
      <translation>Restorer 离线工作：模型随程序一同安装，它从不连接互联网——不下载、不检查、不发送任何内容。</translation>
    </message>
    <message>
      <source>Offline restoration of photographs, scans and CT images.</source>
      <translation>照片、扫描件和 CT 图像的离线修复。</translation>
    </message>
    <message>
      <source>Processed CT images are not for diagnostic use.</source>
      <translation>处理后的 CT 图像不可用于诊断。</translation>
    </message>
    <message>
      <source>About Restorer</source>
      <translation>关于 Restorer</translation>
    </message>
    <message>
      <source>Model</source>
      <translation>模型</translation>
    </message>
    <message>
      <source>Task</source>
      <translation>任务</translation>
    </message>
    <message>
      <source>Licence</source>
      <translation>许可证</translation>
    </message>
    <message>
      <source>Images</source>
      <translation>图像</translation>
    </message>
    <message>
      <source>DICOM files</source>
      <translation>DICOM 文件</translation>
    </message>
    <message>
      <source>All files</source>
      <translation>所有文件</translation>
    </message>
    <message>
      <source>Open image</source>
      <translation>打开图像</translation>
    </message>
    <message>
      <source>Open DICOM series</source>
      <translation>打开 DICOM 序列</translation>
    </message>
    <message>
      <source>Unsaved result</source>
      <translation>结果未保存</translation>
    </message>
    <message>
      <source>Save result as</source>
      <translation>将结果另存为</translation>
    </message>
    <message>
      <source>Copied the view</source>
      <translation>已复制视图</translation>
    </message>
    <message>
      <source>Export comparison</source>
      <translation>导出对比图</translation>
    </message>
    <message>
      <source>DICOM, the change in HU</source>
      <translation>DICOM，以 HU 表示的变化</translation>
    </message>
    <message>
      <source>Export change</source>
      <translation>导出变化图</translation>
    </message>
    <message>
      <source>Wait for the running job, or cancel it</source>
      <translation>请等待正在运行的任务结束，或取消它</translation>
    </message>
    <message>
      <source>8 bits per sample</source>
      <translation>每样本 8 位</translation>
    </message>
    <message>
      <source>16 bits per sample</source>
      <translation>每样本 16 位</translation>
    </message>
    <message>
      <source>Bit depth</source>
      <translation>位深度</translation>
    </message>
    <message>
      <source>Save with</source>
      <translation>保存为</translation>
    </message>
    <message>
      <source>Replace the original?</source>
      <translation>替换原始文件？</translation>
    </message>
    <message>
      <source>Cannot open image</source>
      <translation>无法打开图像</translation>
    </message>
    <message>
      <source>The result for {name} has not been saved. Save it first?</source>
      <translation>{name} 的结果尚未保存。要先保存吗？</translation>
    </message>
    <message>
      <source>Cannot save</source>
      <translation>无法保存</translation>
    </message>
    <message>
      <source>Not enough memory to encode the result.</source>
      <translation>内存不足，无法编码结果。</translation>
    </message>
    <message>
      <source>Saved {path}</source>
      <translation>已保存 {path}</translation>
    </message>
    <message>
      <source>Cannot export</source>
      <translation>无法导出</translation>
    </message>
    <message>
      <source>Exported {path}</source>
      <translation>已导出 {path}</translation>
    </message>
    <message>
      <source>Only a CT change is saved as DICOM.</source>
      <translation>只有 CT 的变化才能保存为 DICOM。</translation>
    </message>
    <message>
      <source>Exported {path} (scale ±{scale} {unit})</source>
      <translation>已导出 {path}（刻度 ±{scale} {unit}）</translation>
    </message>
    <message>
      <source>Opening {name}…</source>
      <translation>正在打开 {name}…</translation>
    </message>
    <message>
      <source>{count} file(s) skipped: {first}</source>
      <translation>跳过了 {count} 个文件：{first}</translation>
    </message>
    <message>
      <source>Opened {name}</source>
      <translation>已打开 {name}</translation>
    </message>
    <message>
      <source>{name} is the original file. Replace it with the result? The original cannot be recovered afterwards.</source>
      <translation>{name} 是原始文件。要用结果替换它吗？替换后将无法恢复原始文件。</translation>
    </message>
    <message>
      <source>Saving {name}…</source>
      <translation>正在保存 {name}…</translation>
    </message>
    <message>
      <source>Exporting {name}…</source>
      <translation>正在导出 {name}…</translation>
    </message>
    <message>
      <source>Could not open {name}</source>
      <translation>无法打开 {name}</translation>
    </message>
    <message>
      <source>{name} is too large for the memory of this computer.</source>
      <translation>{name} 太大，超出了这台计算机的内存。</translation>
    </message>
    <message>
      <source>&amp;Redo</source>
      <translation>重做(&amp;R)</translation>
    </message>
    <message>
      <source>&amp;Undo</source>
      <translation>撤销(&amp;U)</translation>
    </message>
    <message>
      <source>{task} does not apply to CT images</source>
      <translation>{task}不适用于 CT 图像</translation>
    </message>
    <message>
      <source>{task} needs a CT image (DICOM)</source>
      <translation>{task}需要 CT 图像（DICOM）</translation>
    </message>
    <message>
      <source>Clear mask</source>
      <translation>清除蒙版</translation>
    </message>
    <message>
      <source>Invert mask</source>
      <translation>反转蒙版</translation>
    </message>
    <message>
      <source>Load mask</source>
      <translation>载入蒙版</translation>
    </message>
    <message>
      <source>Failed</source>
      <translation>失败</translation>
    </message>
    <message>
      <source>The job failed</source>
      <translation>任务失败</translation>
    </message>
    <message>
      <source>Cancelled</source>
      <translation>已取消</translation>
    </message>
    <message>
      <source>Wait for the running job to end first</source>
      <translation>请先等待正在运行的任务结束</translation>
    </message>
    <message>
      <source>Cancelling at the next tile…</source>
      <translation>将在下一个分块处取消…</translation>
    </message>
    <message>
      <source>{task} done in {seconds} s</source>
      <translation>{task}完成，用时 {seconds} 秒</translation>
    </message>
    <message>
      <source>Paint over the areas to fill first (or tick Find scratches and dust)</source>
      <translation>请先涂抹要填补的区域（或勾选“查找划痕和灰尘”）</translation>
    </message>
    <message>
      <source>Cannot start</source>
      <translation>无法开始</translation>
    </message>
    <message>
      <source>{task}: running on {device}…</source>
      <translation>{task}：正在 {device} 上运行…</translation>
    </message>
    <message>
      <source>The language changes at the next start</source>
      <translation>语言将在下次启动时更改</translation>
    </message>
    <message>
      <source>The appearance changes now; 'Follow the system' takes full effect at the next start</source>
      <translation>外观已更改；“跟随系统”将在下次启动时完全生效</translation>
    </message>
    <message>
      <source>Tasks</source>
      <translation>任务</translation>
    </message>
    <message>
      <source>Queue</source>
      <translation>队列</translation>
    </message>
    <message>
      <source>Open an image to begin</source>
      <translation>打开一幅图像开始</translation>
    </message>
    <message>
      <source>CT (HU)</source>
      <translation>CT（HU）</translation>
    </message>
    <message>
      <source>automatic (detected at the first run)</source>
      <translation>自动（首次运行时检测）</translation>
    </message>
    <message>
      <source>Cancelling the running job…</source>
      <translation>正在取消运行中的任务…</translation>
    </message>
    <message>
      <source>RGB</source>
      <translation>RGB</translation>
    </message>
    <message>
      <source>gray</source>
      <translation>灰度</translation>
    </message>
    <message>
      <source>{bits}-bit</source>
      <translation>{bits} 位</translation>
    </message>
    <message>
      <source>Erase mask</source>
      <translation>擦除蒙版</translation>
    </message>
    <message>
      <source>Paint mask</source>
      <translation>绘制蒙版</translation>
    </message>
    <message>
      <source>Save mask</source>
      <translation>保存蒙版</translation>
    </message>
    <message>
      <source>Loading the mask…</source>
      <translation>正在载入蒙版…</translation>
    </message>
    <message>
      <source>Cannot load mask</source>
      <translation>无法载入蒙版</translation>
    </message>
    <message>
      <source>Saving the mask…</source>
      <translation>正在保存蒙版…</translation>
    </message>
    <message>
      <source>Cannot save mask</source>
      <translation>无法保存蒙版</translation>
    </message>
    <message>
      <source>Not enough memory.</source>
      <translation>内存不足。</translation>
    </message>
    <message>
      <source>Output folder</source>
      <translation>输出文件夹</translation>
    </message>
    <message>
      <source>Browse…</source>
      <translation>浏览…</translation>
    </message>
    <message>
      <source>The name of each result: {name} is the file's own name</source>
      <translation>每个结果的名称：{name} 为文件自己的名称</translation>
    </message>
    <message>
      <source>Apply to all</source>
      <translation>应用于全部</translation>
    </message>
    <message>
      <source>Run the open task, as set, on every file in the list</source>
      <translation>按当前设置，对列表中的每个文件运行当前任务</translation>
    </message>
    <message>
      <source>{done} of {total} files</source>
      <translation>{done} / {total} 个文件</translation>
    </message>
    <message>
      <source>{count} written</source>
      <translation>已写出 {count} 个</translation>
    </message>
    <message>
      <source>{count} files</source>
      <translation>{count} 个文件</translation>
    </message>
    <message>
      <source>about {seconds} s left</source>
      <translation>约剩 {seconds} 秒</translation>
    </message>
    <message>
      <source>{count} failed: {names}</source>
      <translation>{count} 个失败：{names}</translation>
    </message>
    <message>
      <source>{task}: {count} files on {device}…</source>
      <translation>{task}：{count} 个文件，在 {device} 上运行…</translation>
    </message>
    <message>
      <source>Cannot open the result</source>
      <translation>无法打开结果</translation>
    </message>
    <message>
      <source>Result in {folder}</source>
      <translation>{folder} 中的结果</translation>
    </message>
    <message>
      <source>Looking for photos in {name}…</source>
      <translation>正在 {name} 中查找照片…</translation>
    </message>
    <message>
      <source>{count} files in the queue: Apply to all runs the open task on each</source>
      <translation>队列中有 {count} 个文件：“应用于全部”会对每个文件运行当前任务</translation>
    </message>
    <message>
      <source>{task} needs a mask for each file: tick 'Find scratches and dust' to have each file's mask found, or fill the files one by one.</source>
      <translation>{task}需要每个文件的蒙版：勾选“查找划痕和灰尘”以自动找出每个文件的蒙版，或逐个文件填补。</translation>
    </message>
    <message>
      <source>Mask</source>
      <translation>蒙版</translation>
    </message>
    <message>
      <source>Show mask</source>
      <translation>显示蒙版</translation>
    </message>
    <message>
      <source>Detect scratches &amp;&amp; dust</source>
      <translation>检测划痕和灰尘</translation>
    </message>
    <message>
      <source>Propose a mask of scratches and dust specks; edit it before filling</source>
      <translation>生成划痕和灰尘斑点的建议蒙版；填补前可编辑</translation>
    </message>
    <message>
      <source>Bundled</source>
      <translation>内置</translation>
    </message>
    <message>
      <source>Open Model…</source>
      <translation>打开模型…</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>取消</translation>
    </message>
    <message>
      <source>Auto</source>
      <translation>自动</translation>
    </message>
    <message>
      <source>auto</source>
      <translation>自动</translation>
    </message>
    <message>
      <source>Pan</source>
      <translation>平移</translation>
    </message>
    <message>
      <source>Drag to move the view</source>
      <translation>拖动以移动视图</translation>
    </message>
    <message>
      <source>Brush</source>
      <translation>画笔</translation>
    </message>
    <message>
      <source>Paint the areas to fill</source>
      <translation>涂抹要填补的区域</translation>
    </message>
    <message>
      <source>Eraser</source>
      <translation>橡皮擦</translation>
    </message>
    <message>
      <source>Remove paint from the mask</source>
      <translation>从蒙版中擦除涂抹</translation>
    </message>
    <message>
      <source>Brush size</source>
      <translation>画笔大小</translation>
    </message>
    <message>
      <source>px</source>
      <translation>像素</translation>
    </message>
    <message>
      <source>Clear</source>
      <translation>清除</translation>
    </message>
    <message>
      <source>Invert</source>
      <translation>反转</translation>
    </message>
    <message>
      <source>Load…</source>
      <translation>载入…</translation>
    </message>
    <message>
      <source>Save…</source>
      <translation>保存…</translation>
    </message>
    <message>
      <source>The bundled model, or one of your own (File ▸ Open Model…)</source>
      <translation>内置模型，或您自己的模型（文件 ▸ 打开模型…）</translation>
    </message>
    <message>
      <source>Network</source>
      <translation>网络</translation>
    </message>
    <message>
      <source>Elapsed {seconds} s</source>
      <translation>已用 {seconds} 秒</translation>
    </message>
    <message>
      <source>Run {task}</source>
      <translation>运行{task}</translation>
    </message>
    <message>
      <source>Device: {device}</source>
      <translation>设备：{device}</translation>
    </message>
    <message>
      <source>Let Restorer choose ({why})</source>
      <translation>由 Restorer 选择（{why}）</translation>
    </message>
    <message>
      <source>Follow the system</source>
      <translation>跟随系统</translation>
    </message>
    <message>
      <source>Light</source>
      <translation>浅色</translation>
    </message>
    <message>
      <source>Dark</source>
      <translation>深色</translation>
    </message>
    <message>
      <source>You bring these weights: Restorer runs them but does not supply them. Check their licence before you publish what they make.</source>
      <translation>这些权重由您提供：Restorer 只运行它们，并不提供它们。发布其生成的结果前，请确认其许可证。</translation>
    </message>
    <message>
      <source>Models</source>
      <translation>模型</translation>
    </message>
    <message>
      <source>Add to your models</source>
      <translation>添加到您的模型</translation>
    </message>
    <message>
      <source>Found</source>
      <translation>识别结果</translation>
    </message>
    <message>
      <source>Use with</source>
      <translation>用于</translation>
    </message>
    <message>
      <source>Name</source>
      <translation>名称</translation>
    </message>
    <message>
      <source>Where it came from, its licence, what it is good at</source>
      <translation>来源、许可证、擅长的用途</translation>
    </message>
    <message>
      <source>Notes</source>
      <translation>备注</translation>
    </message>
    <message>
      <source>Your models</source>
      <translation>您的模型</translation>
    </message>
    <message>
      <source>Remove</source>
      <translation>移除</translation>
    </message>
    <message>
      <source>Open model</source>
      <translation>打开模型</translation>
    </message>
    <message>
      <source>No models yet: File ▸ Open Model… adds one.</source>
      <translation>还没有模型：通过“文件 ▸ 打开模型…”添加。</translation>
    </message>
    <message>
      <source>{architecture}{scale} {kind} model ({channels})</source>
      <translation>{architecture}{scale} {kind}模型（{channels}）</translation>
    </message>
    <message>
      <source>Copying the model into your library…</source>
      <translation>正在将模型复制到您的模型库…</translation>
    </message>
    <message>
      <source>Cannot use this model</source>
      <translation>无法使用此模型</translation>
    </message>
    <message>
      <source>Cannot add this model</source>
      <translation>无法添加此模型</translation>
    </message>
    <message>
      <source>Cannot remove this model</source>
      <translation>无法移除此模型</translation>
    </message>
    <message>
      <source>Kept in {folder}</source>
      <translation>保存在 {folder}</translation>
    </message>
    <message>
      <source>{summary}, added {date}</source>
      <translation>{summary}，添加于 {date}</translation>
    </message>
    <message>
      <source>Reading {name}…</source>
      <translation>正在读取 {name}…</translation>
    </message>
    <message>
      <source>&amp;Open…</source>
      <translation>打开(&amp;O)…</translation>
    </message>
    <message>
      <source>Open DICOM &amp;Series…</source>
      <translation>打开 DICOM 序列(&amp;S)…</translation>
    </message>
    <message>
      <source>Next Slice</source>
      <translation>下一切片</translation>
    </message>
    <message>
      <source>Previous Slice</source>
      <translation>上一切片</translation>
    </message>
    <message>
      <source>Open &amp;Model…</source>
      <translation>打开模型(&amp;M)…</translation>
    </message>
    <message>
      <source>Your Mo&amp;dels…</source>
      <translation>您的模型(&amp;D)…</translation>
    </message>
    <message>
      <source>&amp;Save</source>
      <translation>保存(&amp;S)</translation>
    </message>
    <message>
      <source>Save &amp;As…</source>
      <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
      <source>&amp;Export Comparison…</source>
      <translation>导出对比图(&amp;E)…</translation>
    </message>
    <message>
      <source>Export C&amp;hange…</source>
      <translation>导出变化图(&amp;H)…</translation>
    </message>
    <message>
      <source>&amp;Copy View</source>
      <translation>复制视图(&amp;C)</translation>
    </message>
    <message>
      <source>&amp;Quit</source>
      <translation>退出(&amp;Q)</translation>
    </message>
    <message>
      <source>Undo</source>
      <translation>撤销</translation>
    </message>
    <message>
      <source>Redo</source>
      <translation>重做</translation>
    </message>
    <message>
      <source>&amp;Preferences…</source>
      <translation>首选项(&amp;P)…</translation>
    </message>
    <message>
      <source>Zoom &amp;In</source>
      <translation>放大(&amp;I)</translation>
    </message>
    <message>
      <source>Zoom &amp;Out</source>
      <translation>缩小(&amp;O)</translation>
    </message>
    <message>
      <source>&amp;Actual Size (100%)</source>
      <translation>实际大小（100%）(&amp;A)</translation>
    </message>
    <message>
      <source>&amp;Fit to Window</source>
      <translation>适合窗口(&amp;F)</translation>
    </message>
    <message>
      <source>Toggle &amp;Before/After</source>
      <translation>切换处理前/处理后(&amp;B)</translation>
    </message>
    <message>
      <source>&amp;About Restorer</source>
      <translation>关于 Restorer(&amp;A)</translation>
    </message>
    <message>
      <source>&amp;File</source>
      <translation>文件(&amp;F)</translation>
    </message>
    <message>
      <source>Open &amp;Recent</source>
      <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
      <source>&amp;Edit</source>
      <translation>编辑(&amp;E)</translation>
    </message>
    <message>
      <source>&amp;View</source>
      <translation>视图(&amp;V)</translation>
    </message>
    <message>
      <source>&amp;Help</source>
      <translation>帮助(&amp;H)</translation>
    </message>
    <message>
      <source>Main toolbar</source>
      <translation>主工具栏</translation>
    </message>
    <message>
      <source>Add your own model (.pth, .safetensors: ESRGAN, SwinIR, SCUNet, LaMa…)</source>
      <translation>添加您自己的模型（.pth、.safetensors：ESRGAN、SwinIR、SCUNet、LaMa…）</translation>
    </message>
    <message>
      <source>Save the original and the result side by side, labelled, for sharing</source>
      <translation>将原图与结果并排保存并加上标注，便于分享</translation>
    </message>
    <message>
      <source>Save what the result changed (after − before, in HU for CT) as a colour map with its scale (PNG), or for CT as the change in HU (DICOM)</source>
      <translation>将结果所做的改变（处理后 − 处理前，CT 以 HU 表示）保存为带刻度的彩色图（PNG），CT 也可保存为以 HU 表示的变化（DICOM）</translation>
    </message>
    <message>
      <source>Copy the view as shown to the clipboard</source>
      <translation>将当前显示的视图复制到剪贴板</translation>
    </message>
    <message>
      <source>&amp;Split View</source>
      <translation>分割视图(&amp;S)</translation>
    </message>
    <message>
      <source>Side by Si&amp;de</source>
      <translation>并排(&amp;D)</translation>
    </message>
    <message>
      <source>Di&amp;fference</source>
      <translation>差异(&amp;F)</translation>
    </message>
    <message>
      <source>&amp;Uncertainty</source>
      <translation>不确定性(&amp;U)</translation>
    </message>
    <message>
      <source>Show Before</source>
      <translation>显示处理前</translation>
    </message>
    <message>
      <source>Show After</source>
      <translation>显示处理后</translation>
    </message>
    <message>
      <source>(none)</source>
      <translation>（无）</translation>
    </message>
    <message>
      <source>Not enough memory: {why}. Try a smaller tile size in Preferences.</source>
      <translation>内存不足：{why}。请在首选项中尝试更小的分块大小。</translation>
    </message>
  </context>
  <context>
    <name>tasks</name>
    <message>
      <source>Denoise</source>
      <translation>降噪</translation>
    </message>
    <message>
      <source>Remove grain, sensor noise and salt-and-pepper specks; works on CT slices too.</source>
      <translation>去除颗粒、传感器噪声和椒盐噪点；也适用于 CT 切片。</translation>
    </message>
    <message>
      <source>Strength</source>
      <translation>强度</translation>
    </message>
    <message>
      <source>How much of the estimated noise to remove: 1.0 as estimated, more for a smoother result, less to keep some grain.</source>
      <translation>去除多少估计出的噪声：1.0 即按估计值，更高则更平滑，更低则保留一些颗粒。</translation>
    </message>
    <message>
      <source>Noise level</source>
      <translation>噪声水平</translation>
    </message>
    <message>
      <source>A fixed noise standard deviation on the 0–255 scale (white noise), instead of the level estimated at each pixel. Leave empty to estimate it.</source>
      <translation>以 0–255 为尺度的固定噪声标准差（白噪声），代替逐像素估计的水平。留空则自动估计。</translation>
    </message>
    <message>
      <source>Passes</source>
      <translation>遍数</translation>
    </message>
    <message>
      <source>Average the network over this many flips and rotations of the image: a little cleaner (about +0.07 dB at 2 passes, +0.13 dB at 8), that many times slower.</source>
      <translation>对图像的这么多种翻转和旋转取网络输出的平均：结果略干净（2 遍约 +0.07 dB，8 遍约 +0.13 dB），耗时相应成倍增加。</translation>
    </message>
    <message>
      <source>JPEG artifacts</source>
      <translation>JPEG 压缩伪影</translation>
    </message>
    <message>
      <source>Remove the blocks, ringing and smeared colour of photos saved at a low JPEG quality.</source>
      <translation>去除以低 JPEG 质量保存的照片中的方块、振铃和晕开的颜色。</translation>
    </message>
    <message>
      <source>Saved at quality</source>
      <translation>保存时的质量</translation>
    </message>
    <message>
      <source>The quality the photo was saved at (1-100, as image editors ask for it). Leave empty to read it from the JPEG file itself (30 for other files). A lower value cleans harder.</source>
      <translation>照片保存时的质量（1-100，与图像编辑软件中的设置相同）。留空则从 JPEG 文件本身读取（其他文件按 30）。数值越低，清理越强。</translation>
    </message>
    <message>
      <source>Inpaint</source>
      <translation>修补</translation>
    </message>
    <message>
      <source>Fill scratches, dust, tears and unwanted objects painted with the mask brush.</source>
      <translation>填补用蒙版画笔涂出的划痕、灰尘、破损和不需要的物体。</translation>
    </message>
    <message>
      <source>Find scratches and dust</source>
      <translation>查找划痕和灰尘</translation>
    </message>
    <message>
      <source>Detect thin scratches and dust specks and add them to the mask.</source>
      <translation>检测细划痕和灰尘斑点，并加入蒙版。</translation>
    </message>
    <message>
      <source>Detection sensitivity</source>
      <translation>检测灵敏度</translation>
    </message>
    <message>
      <source>Higher finds fainter defects (and more false ones).</source>
      <translation>越高越能找到较淡的瑕疵（误检也更多）。</translation>
    </message>
    <message>
      <source>Super-resolve</source>
      <translation>超分辨率</translation>
    </message>
    <message>
      <source>Enlarge ×2 or ×4, restoring detail that bicubic enlargement blurs.</source>
      <translation>放大 ×2 或 ×4，恢复双三次放大会模糊掉的细节。</translation>
    </message>
    <message>
      <source>Scale</source>
      <translation>倍数</translation>
    </message>
    <message>
      <source>Enlargement factor.</source>
      <translation>放大倍数。</translation>
    </message>
    <message>
      <source>Model</source>
      <translation>模型</translation>
    </message>
    <message>
      <source>'scans' is trained on blurred, noisy, JPEG-compressed inputs like real scans and old digital photos; 'clean' is trained on clean bicubic downsampling (benchmarks).</source>
      <translation>“扫描件”在模糊、有噪声、经 JPEG 压缩的输入上训练，接近真实扫描件和老数码照片；“干净”在干净的双三次下采样上训练（用于基准测试）。</translation>
    </message>
    <message>
      <source>scans</source>
      <translation>扫描件</translation>
    </message>
    <message>
      <source>clean</source>
      <translation>干净</translation>
    </message>
    <message>
      <source>Metal artifacts (CT)</source>
      <translation>金属伪影（CT）</translation>
    </message>
    <message>
      <source>Reduce dark and bright streaks from metal implants in CT slices (HU).</source>
      <translation>减轻 CT 切片（HU）中金属植入物造成的暗条纹和亮条纹。</translation>
    </message>
    <message>
      <source>Method</source>
      <translation>方法</translation>
    </message>
    <message>
      <source>nmar: normalised MAR (Meyer 2010); learned: dual-domain networks trained on simulated implants - removes more streaks but also smooths the noise texture; li: linear interpolation of the metal trace, with the bone's own projection set aside.</source>
      <translation>NMAR：归一化金属伪影校正（Meyer 2010）；学习方法：在模拟植入物上训练的双域网络——去除更多条纹，但也会平滑噪声纹理；LI：金属投影轨迹的线性插值，先扣除骨骼自身的投影。</translation>
    </message>
    <message>
      <source>Learned (dual-domain networks)</source>
      <translation>学习方法（双域网络）</translation>
    </message>
    <message>
      <source>NMAR (normalised interpolation)</source>
      <translation>NMAR（归一化插值）</translation>
    </message>
    <message>
      <source>Linear interpolation</source>
      <translation>线性插值</translation>
    </message>
    <message>
      <source>Metal threshold (HU)</source>
      <translation>金属阈值（HU）</translation>
    </message>
    <message>
      <source>Pixels above this are metal. Lower it for thin or low-density implants.</source>
      <translation>高于此值的像素视为金属。对细小或低密度的植入物请调低。</translation>
    </message>
    <message>
      <source>Uncertainty map</source>
      <translation>不确定性图</translation>
    </message>
    <message>
      <source>Learned method: run the networks on the slice and on its three mirror images, keep their mean, and show where they disagree (View &gt; Uncertainty, in HU). Four times slower.</source>
      <translation>学习方法：在切片及其三个镜像上运行网络，取其平均，并显示它们不一致之处（视图 &gt; 不确定性，单位 HU）。速度慢四倍。</translation>
    </message>
    <message>
      <source>Keep texture</source>
      <translation>保留纹理</translation>
    </message>
    <message>
      <source>Learned method: keep only the part of the networks' correction that lies along the rays through the metal, so the slice keeps its noise texture and fine detail away from the streaks. Off: their whole output, smoother.</source>
      <translation>学习方法：只保留网络校正中沿穿过金属的射线的部分，使切片在条纹之外保留其噪声纹理和细节。关闭：使用网络的全部输出，更平滑。</translation>
    </message>
    <message>
      <source>Full resolution</source>
      <translation>全分辨率</translation>
    </message>
    <message>
      <source>On: the correction is computed on the slice's own grid (a 512 slice on a 2-core CPU: LI ~1.5 s, NMAR ~3 s, learned ~7 s). Off: at 256 and enlarged, three to five times faster, for a quick look or a long series; it misses streaks finer than a 256 pixel and near small metal it can add error. The slice itself always keeps its full resolution.</source>
      <translation>开启：在切片自身的网格上计算校正（双核 CPU 上 512 的切片：LI 约 1.5 秒，NMAR 约 3 秒，学习方法约 7 秒）。关闭：在 256 上计算再放大，快三到五倍，适合快速查看或很长的序列；但会漏掉比 256 像素更细的条纹，在小块金属附近还可能增加误差。切片本身始终保持全分辨率。</translation>
    </message>
    <message>
      <source>Detect scratches and dust</source>
      <translation>检测划痕和灰尘</translation>
    </message>
    <message>
      <source>Write a mask of the scratches, dust and hairs found (white = defect), to check and edit before `restorer inpaint --mask`.</source>
      <translation>写出找到的划痕、灰尘和毛发的蒙版（白色 = 瑕疵），可在 `restorer inpaint --mask` 之前检查和编辑。</translation>
    </message>
    <message>
      <source>Restore with your model</source>
      <translation>用您的模型修复</translation>
    </message>
    <message>
      <source>Run your own restoration model.</source>
      <translation>运行您自己的修复模型。</translation>
    </message>
    <message>
      <source>Model file</source>
      <translation>模型文件</translation>
    </message>
    <message>
      <source>A .pth or .safetensors model of an architecture spandrel supports, or the name of a model in your model library.</source>
      <translation>spandrel 支持的架构的 .pth 或 .safetensors 模型，或您模型库中某个模型的名称。</translation>
    </message>
    <message>
      <source>Super-resolve with your model</source>
      <translation>用您的模型超分辨率</translation>
    </message>
    <message>
      <source>Run your own super-resolution model.</source>
      <translation>运行您自己的超分辨率模型。</translation>
    </message>
    <message>
      <source>Inpaint with your model</source>
      <translation>用您的模型修补</translation>
    </message>
    <message>
      <source>Run your own inpainting model.</source>
      <translation>运行您自己的修补模型。</translation>
    </message>
    <message>
      <source>super-resolution</source>
      <translation>超分辨率</translation>
    </message>
    <message>
      <source>restoration</source>
      <translation>修复</translation>
    </message>
    <message>
      <source>inpainting</source>
      <translation>修补</translation>
    </message>
    <message>
      <source>Estimated noise level σ = {sigma} ({low}–{high} across the image)</source>
      <translation>估计噪声水平 σ = {sigma}（全图范围 {low}–{high}）</translation>
    </message>
    <message>
      <source>Removed salt-and-pepper noise ({share} of samples) with a median filter</source>
      <translation>已用中值滤波去除椒盐噪声（占样本的 {share}）</translation>
    </message>
    <message>
      <source>Estimated noise level σ = {sigma} (white noise)</source>
      <translation>估计噪声水平 σ = {sigma}（白噪声）</translation>
    </message>
    <message>
      <source>Marked {share} of the image: check the mask before filling</source>
      <translation>已标记图像的 {share}：填补前请检查蒙版</translation>
    </message>
    <message>
      <source>Marked {share} of the image: check the mask before filling (damage seldom covers this much: fur, foliage and fine texture can be taken for it; lower the sensitivity or erase over them)</source>
      <translation>已标记图像的 {share}：填补前请检查蒙版（损伤很少覆盖这么大的面积：毛发、树叶和细密纹理可能被误认为损伤；请降低灵敏度或将其擦除）</translation>
    </message>
    <message>
      <source>The mask is empty: nothing to fill</source>
      <translation>蒙版为空：没有需要填补的内容</translation>
    </message>
    <message>
      <source>the detected defects cover {share} of the image (damage seldom covers this much: fur, foliage and fine texture can be taken for it); lower the sensitivity, or look at the proposal first: Detect scratches &amp; dust in the window, restorer detect-defects on the command line</source>
      <translation>检测到的瑕疵覆盖了图像的 {share}（损伤很少覆盖这么大的面积：毛发、树叶和细密纹理可能被误认为损伤）；请降低灵敏度，或先查看建议蒙版：窗口中的“检测划痕和灰尘”，命令行中的 restorer detect-defects</translation>
    </message>
    <message>
      <source>Metal: {count} pixels above {threshold} HU</source>
      <translation>金属：{count} 个像素高于 {threshold} HU</translation>
    </message>
    <message>
      <source>No metal above {threshold} HU: the slice is unchanged</source>
      <translation>没有高于 {threshold} HU 的金属：切片保持不变</translation>
    </message>
    <message>
      <source>The learned MAR models are not bundled yet: using NMAR</source>
      <translation>尚未内置学习方法的 MAR 模型：改用 NMAR</translation>
    </message>
    <message>
      <source>The uncertainty map is made for the learned method only</source>
      <translation>不确定性图仅适用于学习方法</translation>
    </message>
    <message>
      <source>No '{model}' model for ×{scale} is installed: using the clean one</source>
      <translation>未安装 ×{scale} 的“{model}”模型：改用“干净”模型</translation>
    </message>
    <message>
      <source>OpenVINO is not installed: models run on PyTorch</source>
      <translation>未安装 OpenVINO：模型在 PyTorch 上运行</translation>
    </message>
    <message>
      <source>OpenVINO could not run {model} ({why}): running it on PyTorch</source>
      <translation>OpenVINO 无法运行 {model}（{why}）：改在 PyTorch 上运行</translation>
    </message>
    <message>
      <source>The int8 version of {model} cannot be used ({why}): running it in floating point</source>
      <translation>无法使用 {model} 的 int8 版本（{why}）：改用浮点运行</translation>
    </message>
    <message>
      <source>Preparing the {model} model for this CPU (once, a few seconds)</source>
      <translation>正在为此 CPU 准备 {model} 模型（仅一次，需几秒）</translation>
    </message>
    <message>
      <source>Out of memory on {device}: retrying with {tile}-pixel tiles</source>
      <translation>{device} 内存不足：改用 {tile} 像素的分块重试</translation>
    </message>
    <message>
      <source>Out of memory on {device} even with {tile}-pixel tiles: continuing on the CPU</source>
      <translation>即使使用 {tile} 像素的分块，{device} 内存仍不足：改在 CPU 上继续</translation>
    </message>
    <message>
      <source>JPEG quality {quality} (as set)</source>
      <translation>JPEG 质量 {quality}（按设置）</translation>
    </message>
    <message>
      <source>JPEG quality {quality} (read from the file)</source>
      <translation>JPEG 质量 {quality}（从文件读取）</translation>
    </message>
    <message>
      <source>JPEG quality {quality} (not a JPEG file: assumed)</source>
      <translation>JPEG 质量 {quality}（不是 JPEG 文件：按假定值）</translation>
    </message>
  </context>
</TS>
