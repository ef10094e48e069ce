// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICMCAdjudicator} from "./ICMCAdjudicator.sol";
import {ICMCAsset} from "./ICMCAsset.sol";
import {ICMCCore} from "./ICMCCore.sol";
import {ICMCDeposit} from "./ICMCDeposit.sol";
import {ICMCWithdraw} from "./ICMCWithdraw.sol";
import {IChannelErrors} from "./IChannelErrors.sol";

/// @title IChannelMastercopy
/// @notice Everything a channel (an EIP-1167 clone of the mastercopy) answers to.
interface IChannelMastercopy is IChannelErrors, ICMCCore, ICMCAsset, ICMCDeposit, ICMCWithdraw, ICMCAdjudicator {}
